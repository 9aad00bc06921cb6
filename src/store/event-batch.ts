import { RunEventType, type RunEvent } from '../core/events';
import type { RunErrorInfo } from '../core/errors';
import { NodeStatus, RunStatus } from '../core/states';
import { UnreachableCaseError } from '../core/unreachable';

/** A row of `run_events`. */
export interface EventRow {
  run_id: string;
  seq: number;
  tenant_id: string;
  type: RunEventType;
  node_id: string | null;
  attempt: number | null;
  progress: number | null;
  output: unknown;
  error: RunErrorInfo | null;
  data: unknown;
  at: string;
}

/**
 * One run's changes in a batch. Metadata fills gaps only; the status group (status, outputs, error,
 * finished_at) comes from the newest run-level event and applies only if `status_seq` is newer than
 * the stored one (see apply_event_batch in supabase/migrations).
 */
export interface RunPatch {
  id: string;
  tenant_id: string;
  last_seq: number;
  status_seq: number;
  status: RunStatus | null;
  workflow_id: string | null;
  workflow_version: number | null;
  inputs: unknown;
  priority: number | null;
  created_at: string | null;
  started_at: string | null;
  outputs: unknown;
  error: RunErrorInfo | null;
  finished_at: string | null;
}

/** One node's changes in a batch, guarded the same way; attempts and started_at only grow. */
export interface NodePatch {
  run_id: string;
  node_id: string;
  tenant_id: string;
  block: string | null;
  /** Index in the definition, from RUN_QUEUED. */
  position: number | null;
  last_seq: number;
  status_seq: number;
  status: NodeStatus | null;
  attempts: number;
  progress: number | null;
  output: unknown;
  error: RunErrorInfo | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface EventBatchRows {
  events: EventRow[];
  runs: RunPatch[];
  nodes: NodePatch[];
}

function eventRow(e: RunEvent): EventRow {
  const any = e as RunEvent & {
    nodeId?: string;
    attempt?: number;
    progress?: number;
    output?: unknown;
    error?: RunErrorInfo;
    data?: unknown;
  };
  return {
    run_id: e.runId,
    seq: e.seq,
    tenant_id: e.tenantId,
    type: e.type,
    node_id: any.nodeId ?? null,
    attempt: any.attempt ?? null,
    progress: any.progress ?? null,
    output: any.output ?? null,
    error: any.error ?? null,
    data: any.data ?? null,
    at: e.at,
  };
}

function emptyRunPatch(e: RunEvent): RunPatch {
  return {
    id: e.runId,
    tenant_id: e.tenantId,
    last_seq: 0,
    status_seq: 0,
    status: null,
    workflow_id: null,
    workflow_version: null,
    inputs: null,
    priority: null,
    created_at: null,
    started_at: null,
    outputs: null,
    error: null,
    finished_at: null,
  };
}

function emptyNodePatch(runId: string, tenantId: string, nodeId: string): NodePatch {
  return {
    run_id: runId,
    node_id: nodeId,
    tenant_id: tenantId,
    block: null,
    position: null,
    last_seq: 0,
    status_seq: 0,
    status: null,
    attempts: 0,
    progress: null,
    output: null,
    error: null,
    started_at: null,
    finished_at: null,
  };
}

/** Sets a run's status group from one run-level event; each such event determines the whole group. */
function applyRunEvent(p: RunPatch, e: RunEvent): void {
  const group = (status: RunStatus, outputs: unknown, error: RunErrorInfo | null, finishedAt: string | null): void => {
    p.status = status;
    p.outputs = outputs;
    p.error = error;
    p.finished_at = finishedAt;
    p.status_seq = e.seq;
  };
  switch (e.type) {
    case RunEventType.RunQueued:
      p.workflow_id = e.data.workflowId;
      p.workflow_version = e.data.workflowVersion;
      p.inputs = e.data.inputs;
      p.priority = e.data.priority;
      if (!e.data.resetNodes) p.created_at = e.at;
      group(RunStatus.Queued, null, null, null);
      return;
    case RunEventType.RunStarted:
      p.started_at = p.started_at ?? e.at;
      group(RunStatus.Running, null, null, null);
      return;
    case RunEventType.RunSucceeded:
      group(RunStatus.Succeeded, e.output, null, e.at);
      return;
    case RunEventType.RunFailed:
      group(RunStatus.Failed, null, e.error, e.at);
      return;
    case RunEventType.RunCancelled:
      group(RunStatus.Cancelled, null, e.error ?? null, e.at);
      return;
    default:
      return;
  }
}

/** Sets a node's status group from one node event. */
function applyNodeEvent(n: NodePatch, e: RunEvent): void {
  const group = (
    status: NodeStatus,
    fields: Partial<Pick<NodePatch, 'progress' | 'output' | 'error' | 'finished_at'>> = {},
  ): void => {
    n.status = status;
    n.progress = fields.progress ?? null;
    n.output = fields.output ?? null;
    n.error = fields.error ?? null;
    n.finished_at = fields.finished_at ?? null;
    n.status_seq = e.seq;
  };
  const attempt = (a: number | undefined): void => {
    if (a !== undefined) n.attempts = Math.max(n.attempts, a);
  };
  switch (e.type) {
    case RunEventType.NodeQueued:
      attempt(e.attempt);
      group(NodeStatus.Queued);
      return;
    case RunEventType.NodeStarted:
      attempt(e.attempt);
      n.started_at = n.started_at === null || e.at > n.started_at ? e.at : n.started_at;
      group(NodeStatus.Running, { progress: 0 });
      return;
    case RunEventType.NodeProgress:
      attempt(e.attempt);
      group(NodeStatus.Running, { progress: e.progress });
      return;
    case RunEventType.NodeRetrying:
      attempt(e.attempt);
      group(NodeStatus.Retrying, { error: e.error });
      return;
    case RunEventType.NodeSucceeded:
      attempt(e.attempt);
      group(NodeStatus.Succeeded, { progress: 1, output: e.output, finished_at: e.at });
      return;
    case RunEventType.NodeFailed:
      attempt(e.attempt);
      group(NodeStatus.Failed, { error: e.error, finished_at: e.at });
      return;
    case RunEventType.NodeSkipped:
      group(NodeStatus.Skipped, { finished_at: e.at });
      return;
    case RunEventType.NodeCancelled:
      attempt(e.attempt);
      group(NodeStatus.Cancelled, { finished_at: e.at });
      return;
    case RunEventType.RunQueued:
    case RunEventType.RunStarted:
    case RunEventType.RunSucceeded:
    case RunEventType.RunFailed:
    case RunEventType.RunCancelled:
      return;
    default:
      throw new UnreachableCaseError(e);
  }
}

/**
 * Folds a batch of events (any order, any runs, duplicates allowed) into one row per event, one
 * patch per run and one per node: one database request stores the whole batch, and replaying it
 * changes nothing. Events are applied in seq order per run; duplicates collapse.
 */
export function foldEventBatch(batch: readonly RunEvent[]): EventBatchRows {
  const unique = new Map<string, RunEvent>();
  for (const e of batch) unique.set(`${e.runId}#${e.seq}`, e);
  const ordered = [...unique.values()].sort((a, b) => (a.runId === b.runId ? a.seq - b.seq : a.runId < b.runId ? -1 : 1));

  const runs = new Map<string, RunPatch>();
  const nodes = new Map<string, NodePatch>();
  const nodePatch = (e: RunEvent, nodeId: string): NodePatch => {
    const k = `${e.runId}#${nodeId}`;
    let n = nodes.get(k);
    if (!n) {
      n = emptyNodePatch(e.runId, e.tenantId, nodeId);
      nodes.set(k, n);
    }
    return n;
  };

  for (const e of ordered) {
    let p = runs.get(e.runId);
    if (!p) {
      p = emptyRunPatch(e);
      runs.set(e.runId, p);
    }
    p.last_seq = Math.max(p.last_seq, e.seq);
    applyRunEvent(p, e);

    if (e.type === RunEventType.RunQueued) {
      // Every node gets a row from the start (PENDING); a retryRun puts the reset ones back to PENDING.
      const reset = e.data.resetNodes ? new Set(e.data.resetNodes) : undefined;
      e.data.nodes.forEach((node, position) => {
        if (reset && !reset.has(node.id)) return;
        const n = nodePatch(e, node.id);
        n.block = node.block;
        n.position = position;
        n.last_seq = Math.max(n.last_seq, e.seq);
        n.status = NodeStatus.Pending;
        n.status_seq = e.seq;
        n.progress = null;
        n.output = null;
        n.error = null;
        n.finished_at = null;
      });
    } else if ('nodeId' in e) {
      const n = nodePatch(e, e.nodeId);
      n.last_seq = Math.max(n.last_seq, e.seq);
      applyNodeEvent(n, e);
    }
  }
  // Rows in key order: writers storing overlapping batches at once then lock rows in the same
  // order, so their transactions wait for each other instead of deadlocking.
  const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    events: ordered.map(eventRow),
    runs: [...runs.values()].sort((a, b) => byKey(a.id, b.id)),
    nodes: [...nodes.values()].sort((a, b) => byKey(a.run_id, b.run_id) || byKey(a.node_id, b.node_id)),
  };
}
