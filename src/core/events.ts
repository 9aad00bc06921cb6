import type { RunErrorInfo } from './errors';
import { isRecord } from './is-record';

/**
 * The run event protocol: every state change of a run or node is one event with a per-run `seq`
 * (1, 2, 3, ... with no gaps). Events cross process boundaries (Redis pub/sub, Redis Streams, the
 * database, WebSockets); `parseRunEvent` is used wherever one comes in.
 */
export enum RunEventType {
  RunQueued = 'RUN_QUEUED',
  RunStarted = 'RUN_STARTED',
  RunSucceeded = 'RUN_SUCCEEDED',
  RunFailed = 'RUN_FAILED',
  RunCancelled = 'RUN_CANCELLED',
  NodeQueued = 'NODE_QUEUED',
  NodeStarted = 'NODE_STARTED',
  NodeProgress = 'NODE_PROGRESS',
  NodeRetrying = 'NODE_RETRYING',
  NodeSucceeded = 'NODE_SUCCEEDED',
  NodeFailed = 'NODE_FAILED',
  NodeSkipped = 'NODE_SKIPPED',
  NodeCancelled = 'NODE_CANCELLED',
}

export const RUN_EVENT_TYPES: readonly RunEventType[] = Object.values(RunEventType);

export const TERMINAL_RUN_EVENT_TYPES: ReadonlySet<RunEventType> = new Set([
  RunEventType.RunSucceeded,
  RunEventType.RunFailed,
  RunEventType.RunCancelled,
]);

const RUN_LEVEL_TYPES: ReadonlySet<RunEventType> = new Set([
  RunEventType.RunQueued,
  RunEventType.RunStarted,
  ...TERMINAL_RUN_EVENT_TYPES,
]);

export function isRunLevelEventType(type: RunEventType): boolean {
  return RUN_LEVEL_TYPES.has(type);
}

/** What RUN_QUEUED carries so that a consumer (the writer) can create the run's row from the event alone. */
export interface RunQueuedData {
  workflowId: string;
  workflowVersion: number;
  inputs: unknown;
  priority: number;
  nodes: Array<{ id: string; block: string }>;
  /** Set when the run was started again by retryRun: the nodes that go back to PENDING. */
  resetNodes?: string[];
}

interface EventBase {
  runId: string;
  tenantId: string;
  seq: number;
  /** ISO-8601 time of the transition. */
  at: string;
}

export type RunEvent =
  | (EventBase & { type: RunEventType.RunQueued; data: RunQueuedData })
  | (EventBase & { type: RunEventType.RunStarted })
  | (EventBase & { type: RunEventType.RunSucceeded; output: Record<string, unknown> })
  | (EventBase & { type: RunEventType.RunFailed; error: RunErrorInfo })
  | (EventBase & { type: RunEventType.RunCancelled; error?: RunErrorInfo })
  | (EventBase & { type: RunEventType.NodeQueued; nodeId: string; attempt: number })
  | (EventBase & { type: RunEventType.NodeStarted; nodeId: string; attempt: number; data?: { jobId?: string } })
  | (EventBase & { type: RunEventType.NodeProgress; nodeId: string; attempt: number; progress: number })
  | (EventBase & {
      type: RunEventType.NodeRetrying;
      nodeId: string;
      attempt: number;
      error: RunErrorInfo;
      data: { delayMs: number };
    })
  | (EventBase & { type: RunEventType.NodeSucceeded; nodeId: string; attempt: number; output: Record<string, unknown> })
  | (EventBase & { type: RunEventType.NodeFailed; nodeId: string; attempt: number; error: RunErrorInfo })
  | (EventBase & { type: RunEventType.NodeSkipped; nodeId: string })
  | (EventBase & { type: RunEventType.NodeCancelled; nodeId: string; attempt?: number });

/** An event before the store gives it its seq. */
export type UnsequencedRunEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq'> : never) : never;

export class InvalidRunEventError extends Error {
  constructor(message: string) {
    super(`invalid run event: ${message}`);
    this.name = 'InvalidRunEventError';
  }
}

function isRunError(v: unknown): v is RunErrorInfo {
  return isRecord(v) && typeof v.code === 'string' && typeof v.message === 'string' && typeof v.retryable === 'boolean';
}

/**
 * Checks an event that came from outside this process. Throws InvalidRunEventError naming the first
 * problem; returns the same object typed.
 */
export function parseRunEvent(val: unknown): RunEvent {
  if (!isRecord(val)) throw new InvalidRunEventError('not an object');
  const { type, runId, tenantId, seq, at } = val;
  if (typeof type !== 'string' || !(RUN_EVENT_TYPES as readonly string[]).includes(type)) {
    throw new InvalidRunEventError(`unknown type ${JSON.stringify(type)}`);
  }
  if (typeof runId !== 'string' || runId.length === 0) throw new InvalidRunEventError('runId must be a string');
  if (typeof tenantId !== 'string' || tenantId.length === 0) throw new InvalidRunEventError('tenantId must be a string');
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1)
    throw new InvalidRunEventError('seq must be a positive integer');
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new InvalidRunEventError('at must be an ISO-8601 time');

  const t = type as RunEventType;
  if (!isRunLevelEventType(t) && typeof val.nodeId !== 'string') throw new InvalidRunEventError(`${t} needs nodeId`);
  switch (t) {
    case RunEventType.RunQueued:
      if (!isRecord(val.data) || typeof val.data.workflowId !== 'string' || !Array.isArray(val.data.nodes)) {
        throw new InvalidRunEventError('RUN_QUEUED needs data.workflowId and data.nodes');
      }
      break;
    case RunEventType.RunFailed:
    case RunEventType.NodeFailed:
    case RunEventType.NodeRetrying:
      if (!isRunError(val.error)) throw new InvalidRunEventError(`${t} needs error {code, message, retryable}`);
      break;
    case RunEventType.NodeProgress:
      if (typeof val.progress !== 'number') throw new InvalidRunEventError('NODE_PROGRESS needs progress');
      break;
    case RunEventType.RunSucceeded:
    case RunEventType.NodeSucceeded:
      if (!isRecord(val.output)) throw new InvalidRunEventError(`${t} needs output`);
      break;
    default:
      break;
  }
  return val as unknown as RunEvent;
}

export function isTerminalRunEvent(event: Pick<RunEvent, 'type'>): boolean {
  return TERMINAL_RUN_EVENT_TYPES.has(event.type);
}
