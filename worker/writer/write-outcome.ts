/**
 * What one write of a batch came to. The split between the two failures decides everything the
 * writer does next, so it is made in one place:
 * - Rejected: the database refused the data itself. Retrying the same batch cannot help; the
 *   writer halves it to find the events responsible and retries those alone, up to maxAttempts.
 * - Unavailable: anything else (PostgREST or Postgres down, timeouts, overload, deadlocks, a
 *   missing function or a bad key after a misconfigured deploy). The events are not at fault: the
 *   batch is retried with backoff for as long as it takes, and nothing is dead-lettered, so a
 *   broken database can never turn the whole stream into dead letters.
 */
export enum WriteOutcomeKind {
  Written = 'written',
  Rejected = 'rejected',
  Unavailable = 'unavailable',
}

export type WriteOutcome =
  | { kind: WriteOutcomeKind.Written; /** Event rows inserted; replays insert none. */ inserted: number }
  | { kind: WriteOutcomeKind.Rejected | WriteOutcomeKind.Unavailable; reason: string; code: string };

/**
 * SQLSTATE classes and PostgREST codes that mean "this data cannot be stored": 21 cardinality
 * (two rows of a batch hit one key), 22 data exception (a run id that is no uuid, a number out of
 * range, a time Postgres cannot read), 23 integrity constraint, 42804 datatype mismatch, PGRST102
 * (PostgREST could not read the body).
 */
const REJECTED_CODE = /^(21|22|23)...$|^42804$|^PGRST102$/;

/** HTTP 413: the request is too large for a gateway in front of PostgREST; halving the batch helps. */
const PAYLOAD_TOO_LARGE = 413;

export function failureOutcome(error: { message: string; code?: string | null }, httpStatus: number): WriteOutcome {
  const code = error.code ?? '';
  const rejected = REJECTED_CODE.test(code) || httpStatus === PAYLOAD_TOO_LARGE;
  return { kind: rejected ? WriteOutcomeKind.Rejected : WriteOutcomeKind.Unavailable, reason: error.message, code };
}
