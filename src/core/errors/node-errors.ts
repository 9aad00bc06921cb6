import { NodeErrorCode } from './error-code';

/** The contract's `RunError`: why a node or run failed, and whether trying again may help. */
export interface RunErrorInfo {
  code: string;
  message: string;
  nodeId?: string | null;
  retryable: boolean;
}

/**
 * A node's execution failed. Retryability is explicit, as in Temporal's ApplicationFailure: the
 * executor retries only what says a retry may help.
 */
export class NodeExecutionError extends Error {
  readonly code: NodeErrorCode;
  readonly retryable: boolean;

  constructor(code: NodeErrorCode, message: string, retryable: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }

  toInfo(nodeId?: string): RunErrorInfo {
    return { code: this.code, message: this.message, nodeId: nodeId ?? null, retryable: this.retryable };
  }
}

export class RetryableNodeError extends NodeExecutionError {
  constructor(code: NodeErrorCode, message: string, cause?: unknown) {
    super(code, message, true, cause);
  }
}

export class NonRetryableNodeError extends NodeExecutionError {
  constructor(code: NodeErrorCode, message: string, cause?: unknown) {
    super(code, message, false, cause);
  }
}

export class NodeTimeoutError extends NodeExecutionError {
  constructor(timeoutMs: number) {
    super(NodeErrorCode.Timeout, `node timed out after ${timeoutMs} ms`, true);
  }
}

export class NodeCancelledError extends NodeExecutionError {
  constructor(reason = 'run cancelled') {
    super(NodeErrorCode.Cancelled, reason, false);
  }
}

/** Anything thrown that is not a NodeExecutionError is an internal fault: retryable, since it may be transient. */
export function toNodeExecutionError(err: unknown): NodeExecutionError {
  if (err instanceof NodeExecutionError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RetryableNodeError(NodeErrorCode.Internal, message, err);
}
