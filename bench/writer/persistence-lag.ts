import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { READY_MESSAGE } from '../../src/lifecycle';
import { projectRoot } from '../../src/paths';
import { spawnManaged } from '../../src/stack/child-process';
import { fmt, percentile } from './bench-support';
import { appendEvents, interleave, syntheticRuns } from './synthetic-runs';
import { startWriterHarness } from './writer-harness';

const RATE_PER_SECOND = 1000;
const DURATION_MS = 15_000;
const WARMUP_EVENTS = 1000;
const TICK_MS = 5;

/**
 * Tells this benchmark, at commit, which events a statement stored: per run, the lowest and highest
 * seq. A batch is a contiguous slice of the stream, which holds each run's events in seq order, so
 * it stores every seq of a run in between. Benchmark database only (not a migration).
 */
const NOTIFY_SQL = `
create function public.bench_notify_stored() returns trigger language plpgsql as $$
begin
  perform pg_notify('bench_stored', (select string_agg(run_id::text || ' ' || first::text || ' ' || last::text, ',')
                                       from (select run_id, min(seq) as first, max(seq) as last from new_rows group by run_id) s));
  return null;
end $$;
create trigger bench_notify_stored after insert on public.run_events
  referencing new table as new_rows for each statement execute function public.bench_notify_stored();
`;

/**
 * End-to-end persistence lag: from the moment an event is appended to the stream (XADD sent)
 * to the moment its row is visible in PostgreSQL (the commit's notification arrives), with the
 * writer as a real process (`dist/worker/writer/main.js`, default options: batches of up to
 * 1,000 events or 50 ms), at a steady 1,000 events/s for 15 s. The first 1,000 events are warm-up.
 */
export async function main(): Promise<{ p50: number; p99: number; max: number; events: number }> {
  const h = await startWriterHarness('bwlag');
  const listener = new Client({ connectionString: h.databaseUrl });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const writer = spawnManaged('writer', process.execPath, [join(projectRoot(), 'dist', 'worker', 'writer', 'main.js')], {
    cwd: projectRoot(),
    env: h.writerEnv({ LOG_LEVEL: 'warn', WRITER_CONSUMER: 'lag-bench' }),
    quiet: true,
    onMessage: (m) => {
      if (m === READY_MESSAGE) markReady();
    },
  });
  try {
    await Promise.race([ready, writer.exited.then(() => Promise.reject(new Error('writer exited during start')))]);
    await h.pg.query(NOTIFY_SQL);
    await listener.connect();

    const total = Math.round((RATE_PER_SECOND * DURATION_MS) / 1000);
    const runs = syntheticRuns(Math.ceil(total / 50), 50);
    const events = interleave(runs, 7, { concurrentRuns: 50 }).slice(0, total);
    const appendedAt = new Float64Array(total);
    const visibleAt = new Float64Array(total);
    // Per run: the stream position of each of its events, by seq (seq 1 at index 0).
    const positions = new Map<string, number[]>();
    events.forEach((e, i) => {
      const list = positions.get(e.runId) ?? [];
      list[e.seq - 1] = i;
      positions.set(e.runId, list);
    });
    let visible = 0;
    listener.on('notification', (msg) => {
      const now = performance.now();
      for (const item of (msg.payload ?? '').split(',')) {
        const [runId, first, last] = item.split(' ');
        const list = positions.get(runId ?? '') ?? [];
        for (let seq = Number(first); seq <= Number(last); seq++) {
          const at = list[seq - 1];
          if (at === undefined || visibleAt[at] !== 0) continue;
          visibleAt[at] = now;
          visible += 1;
        }
      }
    });
    await listener.query('listen bench_stored');

    // Open loop: every tick appends the events due by then, whatever the writer is doing.
    const stream = h.keys.eventStream();
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * RATE_PER_SECOND) / 1000));
      if (due > sent) {
        const now = performance.now();
        for (let i = sent; i < due; i++) appendedAt[i] = now;
        await appendEvents(h.redis, stream, events.slice(sent, due));
        sent = due;
      }
      await sleep(TICK_MS);
    }
    const deadline = performance.now() + 30_000;
    while (visible < total && performance.now() < deadline) await sleep(20);
    if (visible < total) throw new Error(`only ${visible} of ${total} events became visible`);

    const lags = Array.from(
      { length: total - WARMUP_EVENTS },
      (_, i) => visibleAt[i + WARMUP_EVENTS]! - appendedAt[i + WARMUP_EVENTS]!,
    );
    const result = { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags), events: lags.length };
    console.log(
      `\nwriter persistence lag (event appended -> row visible), ${fmt(RATE_PER_SECOND)} events/s for ${DURATION_MS / 1000} s, writer process with default options`,
    );
    console.log(
      `  p50 ${fmt(result.p50, 1)} ms, p99 ${fmt(result.p99, 1)} ms, max ${fmt(result.max, 1)} ms (${fmt(result.events)} events after ${fmt(WARMUP_EVENTS)} of warm-up)`,
    );
    return result;
  } finally {
    await writer.stop();
    await listener.end().catch(() => undefined);
    await h.stop();
  }
}
