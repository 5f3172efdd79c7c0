// The accounts of the box as terminals and run_as_user read them from /etc/passwd, and the shell a terminal starts.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findOsUser, findOsUserById } from "../../server/os-users";
import { loginShellOf } from "../../server/terminals/launch";

const dir = mkdtempSync(join(tmpdir(), "outpost-passwd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const passwd = join(dir, "passwd");
writeFileSync(
  passwd,
  [
    "root:x:0:0:root:/root:/bin/bash",
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "sync:x:4:65534:sync:/bin:/bin/sync",
    "pi:x:1000:1000:,,,:/home/pi:/usr/bin/zsh",
    "svc:x:998:998::/var/lib/svc:/bin/false",
    "",
  ].join("\n"),
);

test("an account is found by name or by uid, with its home and login shell", () => {
  expect(findOsUser("pi", passwd)).toEqual({ name: "pi", uid: 1000, gid: 1000, home: "/home/pi", shell: "/usr/bin/zsh" });
  expect(findOsUserById(0, passwd)).toMatchObject({ name: "root", home: "/root", shell: "/bin/bash" });
  expect(findOsUser("nope", passwd)).toBeNull();
  expect(findOsUserById(4242, passwd)).toBeNull();
});

test("an account whose shell refuses sessions has no login shell, so a terminal falls back", () => {
  expect(findOsUser("nobody", passwd)?.shell).toBeNull();
  expect(findOsUser("svc", passwd)?.shell).toBeNull();
});

test("a box without a passwd file knows no accounts", () => {
  expect(findOsUser("root", join(dir, "missing"))).toBeNull();
});

test("a terminal as an account with no usable shell (the service's, or nobody) still gets one, whatever $SHELL says", () => {
  // systemd sets $SHELL from the passwd entry of the unit's User=, so the installed service sees nologin there.
  const shellBefore = process.env.SHELL;
  process.env.SHELL = "/usr/sbin/nologin";
  try {
    expect(findOsUser("nobody")?.shell).toBeNull();
    expect(loginShellOf("nobody")).toBe(existsSync("/bin/bash") ? "/bin/bash" : "/bin/sh");
    process.env.SHELL = "/bin/sh";
    expect(loginShellOf("nobody")).toBe("/bin/sh");
  } finally {
    if (shellBefore === undefined) delete process.env.SHELL;
    else process.env.SHELL = shellBefore;
  }
});
