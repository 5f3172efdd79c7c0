// Password and username rules and hashing (argon2id through Bun.password).
import { InvalidInputError } from "../errors";

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

export function validateUsername(username: string) {
  if (!USERNAME.test(username))
    throw new InvalidInputError("Username must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.");
}

export function validatePassword(password: string) {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
    throw new InvalidInputError(`Password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long.`);
}

export const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

/** Verifies without letting an over-long input cost more than the longest allowed password. */
export const verifyPassword = (password: string, hash: string) => Bun.password.verify(password.slice(0, MAX_PASSWORD + 1), hash);
