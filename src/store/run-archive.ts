import type { SupabaseClient } from '@supabase/supabase-js';
import type { RunErrorInfo } from '../core/errors';
import { parseRunEvent, type RunEvent } from '../core/events';
import { parseNodeStatus, parseRunStatus, type RunStatus } from '../core/states';
import { unwrap } from './database-error';
import { afterCursorFilter, type Cursor } from './pagination';
import type { NodeView, RunView } from './views';

interface RunRow {
  id: string;
  tenant_id: string;
  workflow_id: string | null;
  workflow_version: number | null;
  status: string;
  inputs: unknown;
  outputs: unknown;
  error: RunErrorInfo | null;
  priority: number | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  last_seq: number;
}

interface NodeRow {
  run_id: string;
  node_id: string;
  block: string | null;
  position: number | null;
  status: string;
  attempts: number;
  progress: number | null;
  output: unknown;
  error: RunErrorInfo | null;
  started_at: string | null;
  finished_at: string | null;
}

interface EventRowRead {
  run_id: string;
  seq: number;
  tenant_id: string;
  type: string;
  node_id: string | null;
  attempt: number | null;
  progress: number | null;
  output: unknown;
  error: RunErrorInfo | null;
  data: unknown;
  at: string;
}

const RUN_COLUMNS =
  'id,tenant_id,workflow_id,workflow_version,status,inputs,outputs,error,priority,created_at,started_at,finished_at,last_seq';
const NODE_COLUMNS = 'run_id,node_id,block,position,status,attempts,progress,output,error,started_at,finished_at';
const iso = (t: string | null): string | null => (t === null ? null : new Date(t).toISOString());

/** A run row without its nodes; `nodes` is filled by `attachNodes`. */
function runView(r: RunRow): RunView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    workflowId: r.workflow_id ?? '',
    workflowVersion: r.workflow_version ?? 0,
    status: parseRunStatus(r.status),
    inputs: r.inputs ?? {},
    outputs: r.outputs,
    error: r.error,
    priority: r.priority ?? 0,
    createdAt: iso(r.created_at) ?? new Date(0).toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    lastSeq: r.last_seq,
    nodes: [],
  };
}

function nodeView(n: NodeRow): NodeView {
  return {
    nodeId: n.node_id,
    block: n.block ?? '',
    status: parseNodeStatus(n.status),
    attempts: n.attempts,
    progress: n.progress,
    output: n.output,
    error: n.error,
    startedAt: iso(n.started_at),
    finishedAt: iso(n.finished_at),
  };
}

function eventOf(r: EventRowRead): RunEvent {
  const e: Record<string, unknown> = {
    runId: r.run_id,
    seq: r.seq,
    tenantId: r.tenant_id,
    type: r.type,
    at: new Date(r.at).toISOString(),
  };
  if (r.node_id !== null) e.nodeId = r.node_id;
  if (r.attempt !== null) e.attempt = r.attempt;
  if (r.progress !== null) e.progress = r.progress;
  if (r.output !== null) e.output = r.output;
  if (r.error !== null) e.error = r.error;
  if (r.data !== null) e.data = r.data;
  return parseRunEvent(e);
}

/**
 * Runs, nodes and events as the writer stored them in Supabase: what the API serves once a run has
 * left Redis, and what it compares Redis with while the run is hot.
 */
export class RunArchive {
  constructor(private readonly db: SupabaseClient) {}

  /** Runs with these ids, nodes included (two requests for any number of runs). */
  async getRuns(ids: readonly string[]): Promise<RunView[]> {
    if (ids.length === 0) return [];
    const rows = unwrap<RunRow[]>(
      'select runs',
      await this.db
        .from('runs')
        .select(RUN_COLUMNS)
        .in('id', [...ids]),
    );
    return this.attachNodes(rows.map(runView));
  }

  async list(
    tenantId: string,
    filter: { workflowId?: string | null; status?: RunStatus | null },
    limit: number,
    after: Cursor | undefined,
  ): Promise<RunView[]> {
    let q = this.db.from('runs').select(RUN_COLUMNS).eq('tenant_id', tenantId).not('created_at', 'is', null);
    if (filter.workflowId) q = q.eq('workflow_id', filter.workflowId);
    if (filter.status) q = q.eq('status', filter.status);
    if (after) q = q.or(afterCursorFilter(after));
    const rows = unwrap<RunRow[]>(
      'list runs',
      await q.order('created_at', { ascending: false }).order('id', { ascending: false }).limit(limit),
    );
    return this.attachNodes(rows.map(runView));
  }

  async events(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = unwrap<EventRowRead[]>(
      'select run_events',
      await this.db
        .from('run_events')
        .select('run_id,seq,tenant_id,type,node_id,attempt,progress,output,error,data,at')
        .eq('run_id', runId)
        .gt('seq', afterSeq)
        .order('seq', { ascending: true })
        .limit(limit),
    );
    return rows.map(eventOf);
  }

  private async attachNodes(runs: RunView[]): Promise<RunView[]> {
    if (runs.length === 0) return runs;
    const rows = unwrap<NodeRow[]>(
      'select run_nodes',
      await this.db
        .from('run_nodes')
        .select(NODE_COLUMNS)
        .in(
          'run_id',
          runs.map((r) => r.id),
        )
        .order('position', { ascending: true }),
    );
    const byRun = new Map(runs.map((r) => [r.id, r]));
    for (const row of rows) byRun.get(row.run_id)?.nodes.push(nodeView(row));
    return runs;
  }
}
