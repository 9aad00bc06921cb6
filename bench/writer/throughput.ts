import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/observability/logger';
import { EventBatchStore } from '../../worker/writer/event-batch-store';
import { EventWriter } from '../../worker/writer/event-writer';
import { compileWriterOptions } from '../../worker/writer/writer-options';
import { countingFetch, fmt, median } from './bench-support';
import { NaiveWriter } from './naive-writer';
import { appendEvents, interleave, syntheticRuns } from './synthetic-runs';
import { startWriterHarness, type WriterHarness } from './writer-harness';

export interface ThroughputResult {
  events: number;
  eventsPerSecond: number;
  requestsPer1000: number;
}

const RUNS = 300;
const EVENTS_PER_RUN = 50;
/** The first batching pass warms up (JIT, PostgREST's pool) and is not counted. */
const BATCHING_REPEATS = 5;
/** The naive writer takes ~5 ms an event: it stores the first events of the same stream (a rate is a rate). */
const NAIVE_EVENTS = 3000;

async function resetData(h: WriterHarness): Promise<void> {
  await h.pg.query('truncate public.run_events, public.runs, public.run_nodes');
  await h.redis.del(h.keys.eventStream());
}

/**
 * Events persisted per second and database requests per 1,000 events: the batching writer (as
 * `npm start` runs it, default options) against the naive one, on the same events (15,000, of 300
 * runs of an OCR-like DAG, 100 in progress at once; the naive writer, at ~5 ms an event, takes the
 * first 3,000 of them), in the same run, against the same PostgREST and PostgreSQL. The stream is
 * filled first; the clock runs from the writer's start until the last event is stored, and the
 * rows are counted afterwards.
 */
export async function main(): Promise<{ naive: ThroughputResult; batching: ThroughputResult }> {
  const h = await startWriterHarness('bwthru');
  try {
    const runs = syntheticRuns(RUNS, EVENTS_PER_RUN);
    const events = interleave(runs, 42, { concurrentRuns: 100 });
    const total = events.length;
    const requests = countingFetch();
    const db = await h.serviceClient(requests.fetch);
    const stream = h.keys.eventStream();

    const stored = async (): Promise<number> =>
      Number((await h.pg.query<{ n: string }>('select count(*) as n from public.run_events')).rows[0]?.n);

    // Naive: one call per event.
    await resetData(h);
    await appendEvents(h.redis, stream, events.slice(0, NAIVE_EVENTS));
    requests.reset();
    let started = performance.now();
    await new NaiveWriter(h.redis, db, h.keys).drain(NAIVE_EVENTS);
    const naiveMs = performance.now() - started;
    if ((await stored()) !== NAIVE_EVENTS) throw new Error('naive writer did not store every event');
    const naive = {
      events: NAIVE_EVENTS,
      eventsPerSecond: (NAIVE_EVENTS * 1000) / naiveMs,
      requestsPer1000: (requests.count() * 1000) / NAIVE_EVENTS,
    };

    // Batching: the writer itself, in this process so its requests are counted the same way.
    const rates: number[] = [];
    const perThousand: number[] = [];
    for (let i = 0; i <= BATCHING_REPEATS; i++) {
      await resetData(h);
      await appendEvents(h.redis, stream, events);
      const options = compileWriterOptions({ ...h.writerEnv(), WRITER_CONSUMER: `bench-${i}` }).writer;
      const connection = h.redis.duplicate();
      const writer = new EventWriter(
        connection,
        new EventBatchStore(db, options.requestTimeoutMs),
        h.keys,
        options,
        createLogger('writer-bench', 'warn'),
      );
      requests.reset();
      started = performance.now();
      await writer.start();
      while (writer.metrics().eventsWritten < total) await sleep(5);
      const ms = performance.now() - started;
      await writer.stop();
      await connection.quit();
      if ((await stored()) !== total) throw new Error('batching writer did not store every event');
      if (i === 0) continue;
      rates.push((total * 1000) / ms);
      perThousand.push((requests.count() * 1000) / total);
    }
    const batching = { events: total, eventsPerSecond: median(rates), requestsPer1000: median(perThousand) };

    console.log(`\nwriter throughput: events of ${RUNS} runs (50 each, 100 in progress at once), stream filled first`);
    console.log(
      `  naive (1 supabase-js call per event, first ${fmt(NAIVE_EVENTS)} events): ${fmt(naive.eventsPerSecond)} events/s, ${fmt(naive.requestsPer1000, 1)} requests per 1,000 events`,
    );
    console.log(
      `  batching writer (all ${fmt(total)} events, median of ${BATCHING_REPEATS} after a warm-up pass):  ${fmt(batching.eventsPerSecond)} events/s, ${fmt(batching.requestsPer1000, 2)} requests per 1,000 events`,
    );
    console.log(
      `  ratio: ${fmt(batching.eventsPerSecond / naive.eventsPerSecond, 1)}x events/s (goal >= 20,000 events/s), ` +
        `${fmt(naive.requestsPer1000 / batching.requestsPer1000, 0)}x fewer requests (goal >= 100x)`,
    );
    return { naive, batching };
  } finally {
    await h.stop();
  }
}
