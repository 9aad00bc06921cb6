import type { RunErrorInfo } from '../core/errors';
import { NodeStatus, type RunStatus, parseNodeStatus, parseRunStatus } from '../core/states';

/**
 * How a run's state is laid out in its Redis hash: run fields by name, node fields as
 * `n:<nodeId>:<field>`. One hash per run means one HGETALL loads everything and one Lua script can
 * check and change run and node together. Empty strings stand for "unset".
 */
export enum RunField {
  TenantId = 'tenantId',
  WorkflowId = 'workflowId',
  WorkflowVersion = 'workflowVersion',
  Status = 'status',
  Seq = 'seq',
  Definition = 'definition',
  Inputs = 'inputs',
  Priority = 'priority',
  CreatedAt = 'createdAt',
  StartedAt = 'startedAt',
  FinishedAt = 'finishedAt',
  Outputs = 'outputs',
  Error = 'error',
  CancelRequested = 'cancelRequested',
  NodeIds = 'nodeIds',
  /** Seq of the RUN_QUEUED event that queued the run's current BullMQ job (the job id is `<runId>-q<queuedSeq>`). */
  QueuedSeq = 'queuedSeq',
  /** When the current execution started (first start, or the start after a retryRun): the deadline counts from it. */
  ExecutionStartedAt = 'executionStartedAt',
}

export enum NodeField {
  Block = 'block',
  Status = 'status',
  Attempt = 'attempt',
  BudgetStart = 'budgetStart',
  NotBefore = 'notBefore',
  JobId = 'jobId',
  Output = 'output',
  Error = 'error',
  Progress = 'progress',
  StartedAt = 'startedAt',
  FinishedAt = 'finishedAt',
}

export const nodeFieldKey = (nodeId: string, field: NodeField): string => `n:${nodeId}:${field}`;

export interface StoredNode {
  id: string;
  block: string;
  status: NodeStatus;
  attempt: number;
  budgetStart: number;
  notBefore: number | undefined;
  jobId: string | undefined;
  output: Record<string, unknown> | undefined;
  error: RunErrorInfo | undefined;
  progress: number | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface StoredRun {
  id: string;
  tenantId: string;
  workflowId: string;
  workflowVersion: number;
  status: RunStatus;
  /** The seq of the last event emitted. */
  seq: number;
  definition: unknown;
  inputs: Record<string, unknown>;
  priority: number;
  createdAt: string;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  outputs: Record<string, unknown> | undefined;
  error: RunErrorInfo | undefined;
  cancelRequested: boolean;
  queuedSeq: number;
  executionStartedAt: string | undefined;
  /** In definition order. */
  nodes: Map<string, StoredNode>;
}

export type FieldValue = string | number | boolean | null | undefined | object;

/** Encodes one value for a hash field: strings and numbers as they are, objects as JSON, absent as ''. */
export function encodeField(value: FieldValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '';
  return JSON.stringify(value);
}

/** Flattens run fields and node fields into the HSET argument list the Lua scripts take. */
export function encodeFields(
  run: Partial<Record<RunField, FieldValue>>,
  nodes: ReadonlyArray<[string, Partial<Record<NodeField, FieldValue>>]> = [],
): string[] {
  const out: string[] = [];
  for (const [field, value] of Object.entries(run)) out.push(field, encodeField(value as FieldValue));
  for (const [nodeId, fields] of nodes) {
    for (const [field, value] of Object.entries(fields))
      out.push(nodeFieldKey(nodeId, field as NodeField), encodeField(value as FieldValue));
  }
  return out;
}

const str = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
const num = (v: string | undefined): number | undefined => (str(v) === undefined ? undefined : Number(v));
function json<T>(v: string | undefined): T | undefined {
  const s = str(v);
  return s === undefined ? undefined : (JSON.parse(s) as T);
}

/** Decodes HGETALL's result; undefined when the hash is empty (no such run, or expired). */
export function decodeRunState(runId: string, hash: Record<string, string>): StoredRun | undefined {
  if (!hash[RunField.Status]) return undefined;
  const nodeIds = json<string[]>(hash[RunField.NodeIds]) ?? [];
  const nodes = new Map<string, StoredNode>();
  for (const id of nodeIds) {
    const f = (field: NodeField): string | undefined => hash[nodeFieldKey(id, field)];
    nodes.set(id, {
      id,
      block: f(NodeField.Block) ?? '',
      status: parseNodeStatus(str(f(NodeField.Status)) ?? NodeStatus.Pending),
      attempt: num(f(NodeField.Attempt)) ?? 0,
      budgetStart: num(f(NodeField.BudgetStart)) ?? 0,
      notBefore: num(f(NodeField.NotBefore)),
      jobId: str(f(NodeField.JobId)),
      output: json(f(NodeField.Output)),
      error: json(f(NodeField.Error)),
      progress: num(f(NodeField.Progress)),
      startedAt: str(f(NodeField.StartedAt)),
      finishedAt: str(f(NodeField.FinishedAt)),
    });
  }
  return {
    id: runId,
    tenantId: hash[RunField.TenantId] ?? '',
    workflowId: hash[RunField.WorkflowId] ?? '',
    workflowVersion: num(hash[RunField.WorkflowVersion]) ?? 1,
    status: parseRunStatus(hash[RunField.Status]),
    seq: num(hash[RunField.Seq]) ?? 0,
    definition: json(hash[RunField.Definition]),
    inputs: json(hash[RunField.Inputs]) ?? {},
    priority: num(hash[RunField.Priority]) ?? 0,
    createdAt: hash[RunField.CreatedAt] ?? '',
    startedAt: str(hash[RunField.StartedAt]),
    finishedAt: str(hash[RunField.FinishedAt]),
    outputs: json(hash[RunField.Outputs]),
    error: json(hash[RunField.Error]),
    cancelRequested: hash[RunField.CancelRequested] === '1',
    queuedSeq: num(hash[RunField.QueuedSeq]) ?? 1,
    executionStartedAt: str(hash[RunField.ExecutionStartedAt]),
    nodes,
  };
}
