import { ErrorCode, SwitchyardError } from '../core/errors';

/** A PostgREST/Postgres call failed; the API answers SERVICE_UNAVAILABLE and the server stays up. */
export class DatabaseError extends SwitchyardError {
  constructor(operation: string, cause: { message?: string; code?: string } | unknown) {
    const detail =
      typeof cause === 'object' && cause !== null && 'message' in cause
        ? String((cause as { message: unknown }).message)
        : String(cause);
    super(ErrorCode.ServiceUnavailable, `database ${operation} failed: ${detail}`, { cause });
  }
}

/** Unwraps a supabase-js result, throwing a DatabaseError for its error. */
export function unwrap<T>(operation: string, result: { data: T | null; error: unknown }): T {
  if (result.error) throw new DatabaseError(operation, result.error);
  return result.data as T;
}
