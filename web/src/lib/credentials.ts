// What the server takes as a username and a password (server/auth), said once for every form that
// asks for one: setup, the Account page, the Users page.

/** The hint under a field for a new username. */
export const USERNAME_HINT = "Letters, digits, dots, dashes or underscores.";

// As server/auth/passwords.ts checks it.
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What is wrong with a new username as typed (without surrounding spaces), or null. */
export function usernameProblem(username: string): string | null {
  if (username.length > 64) return "The username can have at most 64 characters.";
  return USERNAME.test(username) ? null : "Use letters, digits, dots, dashes or underscores, starting with a letter or digit.";
}

/** The fewest characters the server takes in a password. */
export const MIN_PASSWORD_LENGTH = 8;

/** The hint under a field for a new password. */
export const PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters.`;

/**
 * What is wrong with a new password as typed: that it is too short, named by `noun` ("The new
 * password needs…"); null while it is empty (nothing to complain about yet) or long enough.
 */
export function passwordLengthProblem(password: string, { noun = "password" }: { noun?: string } = {}): string | null {
  return password !== "" && password.length < MIN_PASSWORD_LENGTH ? `The ${noun} needs at least ${MIN_PASSWORD_LENGTH} characters.` : null;
}
