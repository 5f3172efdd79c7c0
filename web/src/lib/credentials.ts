// What the server takes as a username and a password (server/auth), said once for every form that
// asks for one: setup, the Account page, the Users page.

/** The hint under a field for a new username. */
export const USERNAME_HINT = "Letters, digits, dots, dashes or underscores.";

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
