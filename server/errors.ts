// Application errors: each carries a stable code that the edges map once: to `extensions.code` in
// GraphQL (schema/errors.ts) and to one HTTP status and JSON shape on other routes
// (http/router.ts). The message is safe to show a user; `cause` is kept for logs only.

export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT" | "LIMIT_EXCEEDED" | "INTERNAL";

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra fields a client may use (e.g. the current version on a conflict). Never secrets. `httpStatus` overrides the code's status at the HTTP edge and is not shown. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = "Sign in to do this.", options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super("UNAUTHENTICATED", message, options);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("FORBIDDEN", message, options);
  }
}

export class InvalidInputError extends AppError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super("BAD_USER_INPUT", message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super("NOT_FOUND", message, options);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super("CONFLICT", message, options);
  }
}

export class LimitExceededError extends AppError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super("LIMIT_EXCEEDED", message, options);
  }
}

/**
 * Stops the start before the server listens. The message is one plain sentence for the person who
 * started Outpost, saying what is wrong and what to do; `outpost` prints it alone and exits with
 * `exitCode`.
 */
export class StartupError extends Error {
  readonly exitCode: number = 1;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A setting that cannot be used; the message names the setting as the user wrote it. */
export class ConfigError extends StartupError {
  override readonly exitCode = 2;
}

/** The data directory cannot be used, or another Outpost process is using it. */
export class DataDirError extends StartupError {}
