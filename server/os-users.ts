// Accounts of this box, read from /etc/passwd, for running children as one of them (run_as_user).
// Local accounts only: a Raspberry Pi's users are; an account known only through LDAP is not found.
import { readFileSync } from "node:fs";

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The account named `name`, or null when there is none. */
export function findOsUser(name: string, passwdPath = "/etc/passwd"): OsUser | null {
  for (const line of readFileSync(passwdPath, "utf8").split("\n")) {
    const [user, , uid, gid, , home] = line.split(":");
    if (user === name && uid && gid) return { name, uid: Number(uid), gid: Number(gid), home: home || "/" };
  }
  return null;
}

/** What run_as_user accepts: a user name as useradd makes them. */
export function checkUserName(name: string): string | null {
  return /^[a-z_][a-z0-9_-]{0,31}\$?$/i.test(name) ? null : "must be a user name of this box (letters, digits, _ and -)";
}
