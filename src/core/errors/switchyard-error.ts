import { ErrorCode } from './error-code';

/**
 * Base of every error Switchyard raises on purpose. `code` goes to GraphQL `extensions.code`;
 * `path`, when set, to `extensions.path` (the JSON path of the offending part of the input).
 */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { path?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = opts.path;
    this.details = opts.details;
  }
}

export class NotFoundError extends SwitchyardError {
  constructor(what: string, id: string) {
    super(ErrorCode.NotFound, `${what} ${id} was not found`, { details: { id } });
  }
}

export class UnauthenticatedError extends SwitchyardError {
  constructor(message = 'a valid API key is required: send "Authorization: Bearer <key>"') {
    super(ErrorCode.Unauthenticated, message);
  }
}

export class BadUserInputError extends SwitchyardError {
  constructor(message: string, path?: string) {
    super(ErrorCode.BadUserInput, message, path === undefined ? {} : { path });
  }
}

export class ConflictError extends SwitchyardError {
  constructor(message: string) {
    super(ErrorCode.Conflict, message);
  }
}
