import { RunEventType, type RunEvent } from '../../src/core/events';
import { appendEvents, syntheticRuns } from '../../bench/writer/synthetic-runs';
import { startWriterHarness, type WriterHarness } from '../../bench/writer/writer-harness';
import { waitFor } from '../support/wait-for';
import { storedMismatches, streamBacklog } from './support/stored-state';
import { spawnWriter, type WriterProcess } from './support/writer-process';

const MAX_BATCH_BYTES = 16_384;
const BIG_OUTPUT = 'x'.repeat(30_000);

/**
 * Batches are bounded by bytes as well as by count: node outputs can carry images, and a batch of
 * a thousand of them would not fit in memory or in one request. An event larger than the bound
 * is still written (it is not refused for its size).
 */
describe('writer batch bounds', () => {
  let harness: WriterHarness;
  let writer: WriterProcess | undefined;

  beforeAll(async () => {
    harness = await startWriterHarness('wbat');
  });
  afterAll(async () => {
    await writer?.child.stop();
    await harness?.stop();
  });

  it('keeps batches near maxBatchBytes and writes events larger than that', async () => {
    const runs = syntheticRuns(4, 25);
    // Every run's NODE_SUCCEEDED events carry a large output.
    for (const run of runs) {
      run.events = run.events.map((e) =>
        e.type === RunEventType.NodeSucceeded ? ({ ...e, output: { image: BIG_OUTPUT } } as RunEvent) : e,
      );
    }
    const events = runs.flatMap((r) => r.events);
    const big = events.filter((e) => e.type === RunEventType.NodeSucceeded).length;
    expect(big).toBeGreaterThanOrEqual(12);
    // Appended before the writer starts, so it could take everything in one read if it were not bounded.
    await appendEvents(harness.redis, harness.keys.eventStream(), events);
    writer = await spawnWriter(harness, 'writer-a', { WRITER_MAX_BATCH_BYTES: String(MAX_BATCH_BYTES) });

    await waitFor(
      () => streamBacklog(harness.redis, harness.keys),
      (b) => b.length === 0 && b.pending === 0,
      20_000,
    );
    expect(await storedMismatches(harness.pg, runs)).toEqual([]);
    const m = await writer.metrics();
    expect(m.eventsWritten).toBe(events.length);
    // About 500 kB of events at 16 kB a batch (unbounded, one read would have taken all 100 in one batch).
    expect(m.batchesWritten).toBeGreaterThanOrEqual(big / 2);
    expect(m.deadLettered).toBe(0);
    const stored = await harness.pg.query<{ n: string }>(
      "select count(*) as n from public.run_events where type = 'NODE_SUCCEEDED' and length(output->>'image') = $1",
      [BIG_OUTPUT.length],
    );
    expect(Number(stored.rows[0]?.n)).toBe(big);
  });
});
