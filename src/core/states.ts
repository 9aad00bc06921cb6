/** Run and node lifecycles. The string values are the contract's enum values. */
export enum RunStatus {
  Queued = 'QUEUED',
  Running = 'RUNNING',
  Succeeded = 'SUCCEEDED',
  Failed = 'FAILED',
  Cancelled = 'CANCELLED',
}

export enum NodeStatus {
  Pending = 'PENDING',
  Queued = 'QUEUED',
  Running = 'RUNNING',
  Retrying = 'RETRYING',
  Succeeded = 'SUCCEEDED',
  Failed = 'FAILED',
  Skipped = 'SKIPPED',
  Cancelled = 'CANCELLED',
}

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  RunStatus.Succeeded,
  RunStatus.Failed,
  RunStatus.Cancelled,
]);

export const TERMINAL_NODE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  NodeStatus.Succeeded,
  NodeStatus.Failed,
  NodeStatus.Skipped,
  NodeStatus.Cancelled,
]);

/** Nodes that hold an execution slot: queued for, or running on, a runtime. */
export const ACTIVE_NODE_STATUSES: ReadonlySet<NodeStatus> = new Set([NodeStatus.Queued, NodeStatus.Running]);

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.has(status);
}

export function isTerminalNodeStatus(status: NodeStatus): boolean {
  return TERMINAL_NODE_STATUSES.has(status);
}

export function parseRunStatus(value: unknown): RunStatus {
  if (typeof value === 'string' && (Object.values(RunStatus) as string[]).includes(value)) return value as RunStatus;
  throw new TypeError(`not a run status: ${String(value)}`);
}

export function parseNodeStatus(value: unknown): NodeStatus {
  if (typeof value === 'string' && (Object.values(NodeStatus) as string[]).includes(value)) return value as NodeStatus;
  throw new TypeError(`not a node status: ${String(value)}`);
}
