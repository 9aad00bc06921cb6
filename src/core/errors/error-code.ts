/** Codes in GraphQL `extensions.code`; the contract fixes the first six. */
export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  RateLimited = 'RATE_LIMITED',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
  /** The operation does not fit the object's current state, e.g. retrying a run that is still running. */
  Conflict = 'CONFLICT',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
}

/** Codes in `RunError.code`: why a node or a run failed. */
export enum NodeErrorCode {
  /** The block rejected its input (unreadable image, bad value): a retry cannot help. */
  InvalidInput = 'INVALID_INPUT',
  /** The block failed in a way a retry may fix (the debug block's `failTimes`, a transient fault). */
  BlockFailed = 'BLOCK_FAILED',
  /** The node ran past its `timeoutMs`. */
  Timeout = 'TIMEOUT',
  /** The run ran past its deadline. */
  RunDeadlineExceeded = 'RUN_DEADLINE_EXCEEDED',
  /** The RunPod endpoint answered with an error (HTTP 5xx, 429, FAILED or TIMED_OUT job). */
  RunpodUnavailable = 'RUNPOD_UNAVAILABLE',
  /** The RunPod endpoint refused the request (HTTP 4xx other than 429): a retry cannot help. */
  RunpodRejected = 'RUNPOD_REJECTED',
  /** The run was cancelled while the node was in flight. */
  Cancelled = 'CANCELLED',
  /** A node this run needed failed. */
  DependencyFailed = 'DEPENDENCY_FAILED',
  Internal = 'INTERNAL',
}
