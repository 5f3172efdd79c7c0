// Accounts of this box, read from /etc/passwd, for running children as one of them (run_as_user)
// and for the shell a terminal starts. Local accounts only: a Raspberry Pi's users are; an account
// known only through LDAP is not found.
import { readFileSync } from "node:fs";

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** The login shell, or null when the account has none a person can use (nologin, false). */
  shell: string | null;
}

/** Whether `shell` is one a person can use: not one that refuses a session (nologin, false). */
export const isUsableShell = (shell: string | undefined): shell is string => !!shell && !/\/(nologin|false)$/.test(shell);

/** Every account of the box; none where there is no passwd file (a bare container). */
export function readOsUsers(passwdPath = "/etc/passwd"): OsUser[] {
  let passwd: string;
  try {
    passwd = readFileSync(passwdPath, "utf8");
  } catch {
    return [];
  }
  return passwd.split("\n").flatMap((line) => {
    const [name, , uid, gid, , home, shell] = line.split(":");
    return name && uid && gid
      ? [{ name, uid: Number(uid), gid: Number(gid), home: home || "/", shell: isUsableShell(shell) ? shell : null }]
      : [];
  });
}

const findOsUserWhere = (matches: (user: OsUser) => boolean, passwdPath: string): OsUser | null =>
  readOsUsers(passwdPath).find(matches) ?? null;

/** The account named `name`, or null when there is none. */
export function findOsUser(name: string, passwdPath = "/etc/passwd"): OsUser | null {
  return findOsUserWhere((user) => user.name === name, passwdPath);
}

/** The account with user id `uid`, or null when there is none. */
export function findOsUserById(uid: number, passwdPath = "/etc/passwd"): OsUser | null {
  return findOsUserWhere((user) => user.uid === uid, passwdPath);
}

/** What run_as_user accepts: a user name as useradd makes them. */
export function checkUserName(name: string): string | null {
  return /^[a-z_][a-z0-9_-]{0,31}\$?$/i.test(name) ? null : "must be a user name of this box (letters, digits, _ and -)";
}
