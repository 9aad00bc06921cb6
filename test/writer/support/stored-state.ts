import type { Client } from 'pg';
import type { SyntheticRun } from '../../../bench/writer/synthetic-runs';
import type { RedisKeys } from '../../../src/redis/keys';
import type { Redis } from 'ioredis';

export async function eventRowCount(pg: Client): Promise<number> {
  return Number((await pg.query<{ n: string }>('select count(*) as n from public.run_events')).rows[0]?.n ?? 0);
}

/**
 * Every way the database can differ from what the runs' events say it must hold, as readable
 * lines (an empty list when it holds exactly that): each event row once, seq 1..N with no gap and
 * nothing extra, each run's and node's final status and attempts.
 */
export async function storedMismatches(pg: Client, runs: readonly SyntheticRun[]): Promise<string[]> {
  const problems: string[] = [];
  const events = await pg.query<{ run_id: string; n: string; distinct_seqs: string; min: number; max: number }>(
    'select run_id, count(*) as n, count(distinct seq) as distinct_seqs, min(seq) as min, max(seq) as max from public.run_events group by run_id',
  );
  const runRows = await pg.query<{
    id: string;
    status: string;
    status_seq: number;
    workflow_id: string | null;
    finished_at: Date | null;
  }>('select id, status, status_seq, workflow_id, finished_at from public.runs');
  const nodeRows = await pg.query<{ run_id: string; node_id: string; status: string; attempts: number; block: string | null }>(
    'select run_id, node_id, status, attempts, block from public.run_nodes',
  );
  const eventsByRun = new Map(events.rows.map((r) => [r.run_id, r]));
  const runsById = new Map(runRows.rows.map((r) => [r.id, r]));
  const nodesByKey = new Map(nodeRows.rows.map((r) => [`${r.run_id}/${r.node_id}`, r]));
  const expected = new Set(runs.map((r) => r.runId));
  for (const id of eventsByRun.keys()) if (!expected.has(id)) problems.push(`unexpected events of run ${id}`);
  for (const run of runs) {
    const n = run.events.length;
    const e = eventsByRun.get(run.runId);
    if (!e || Number(e.n) !== n || Number(e.distinct_seqs) !== n || e.min !== 1 || e.max !== n) {
      problems.push(
        `run ${run.runId}: events ${e ? `${e.n} rows, seq ${e.min}..${e.max}` : 'none'}, expected ${n} rows, seq 1..${n}`,
      );
    }
    const r = runsById.get(run.runId);
    if (!r || r.status !== run.finalStatus || r.status_seq !== n || r.workflow_id === null || r.finished_at === null) {
      problems.push(
        `run ${run.runId}: ${r ? `${r.status} at seq ${r.status_seq}` : 'no row'}, expected ${run.finalStatus} at seq ${n}`,
      );
    }
    for (const [nodeId, want] of run.finalNodes) {
      const node = nodesByKey.get(`${run.runId}/${nodeId}`);
      if (!node || node.status !== want.status || node.attempts !== want.attempts || node.block === null) {
        problems.push(
          `node ${run.runId}/${nodeId}: ${node ? `${node.status} after ${node.attempts}` : 'no row'}, expected ${want.status} after ${want.attempts}`,
        );
      }
    }
  }
  return problems;
}

/** Entries not yet stored, and entries read but not acknowledged by any writer. */
export async function streamBacklog(
  redis: Redis,
  keys: RedisKeys,
  group = 'writers',
): Promise<{ length: number; pending: number }> {
  const length = await redis.xlen(keys.eventStream());
  const summary = (await redis.xpending(keys.eventStream(), group)) as [number, ...unknown[]];
  return { length, pending: Number(summary[0] ?? 0) };
}

/** Ids a consumer holds (read, not acknowledged). */
export async function pendingIdsOf(redis: Redis, keys: RedisKeys, consumer: string, group = 'writers'): Promise<string[]> {
  const rows = (await redis.xpending(keys.eventStream(), group, '-', '+', 100_000, consumer)) as Array<
    [string, string, number, number]
  >;
  return rows.map((r) => r[0]);
}
