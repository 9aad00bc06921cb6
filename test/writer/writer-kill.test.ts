import { appendEvents, interleave, syntheticRuns } from '../../bench/writer/synthetic-runs';
import { startWriterHarness, type WriterHarness } from '../../bench/writer/writer-harness';
import { waitFor } from '../support/wait-for';
import { eventRowCount, pendingIdsOf, storedMismatches, streamBacklog } from './support/stored-state';
import { spawnWriter, type WriterProcess } from './support/writer-process';

/**
 * Two writers share the stream; one is SIGKILLed while it holds a batch it read and has not
 * acknowledged. The other claims that batch once it has been idle for WRITER_CLAIM_IDLE_MS, so
 * nothing is lost, and the (run_id, seq) key makes storing it again insert nothing twice.
 */
describe('writer killed mid-batch', () => {
  let harness: WriterHarness;
  const writers: WriterProcess[] = [];

  beforeAll(async () => {
    harness = await startWriterHarness('wkill');
    const env = { WRITER_CLAIM_IDLE_MS: '1000', WRITER_MAX_BATCH_SIZE: '200', WRITER_MAX_BATCH_WAIT_MS: '20' };
    writers.push(await spawnWriter(harness, 'writer-doomed', env), await spawnWriter(harness, 'writer-survivor', env));
  });
  afterAll(async () => {
    for (const w of writers) await w.child.stop();
    await harness?.stop();
  });

  it('loses nothing and duplicates nothing', async () => {
    const [doomed, survivor] = writers as [WriterProcess, WriterProcess];
    const runs = syntheticRuns(160, 50);
    const events = interleave(runs, 11);
    const stream = harness.keys.eventStream();
    await appendEvents(harness.redis, stream, events.slice(0, 5000));

    // Kill the first writer at a moment it holds entries it read and has not acknowledged.
    const held = await waitFor(
      () => pendingIdsOf(harness.redis, harness.keys, doomed.consumer),
      (ids) => ids.length > 0,
      10_000,
      1,
    );
    doomed.child.process.kill('SIGKILL');
    await doomed.child.exited;
    const orphaned = await pendingIdsOf(harness.redis, harness.keys, doomed.consumer);
    expect(held.length).toBeGreaterThan(0);
    expect(orphaned.length).toBeGreaterThan(0);

    // The runs go on after the kill.
    await appendEvents(harness.redis, stream, events.slice(5000));

    expect(
      await waitFor(
        () => eventRowCount(harness.pg),
        (n) => n === 8000,
        30_000,
      ),
    ).toBe(8000);
    expect(await storedMismatches(harness.pg, runs)).toEqual([]);
    expect(
      await waitFor(
        () => streamBacklog(harness.redis, harness.keys),
        (b) => b.length === 0 && b.pending === 0,
      ),
    ).toEqual({ length: 0, pending: 0 });
    expect(await pendingIdsOf(harness.redis, harness.keys, doomed.consumer)).toEqual([]);
    const m = await survivor.metrics();
    // The survivor took over every entry the dead writer held.
    expect(m.claimed).toBeGreaterThanOrEqual(orphaned.length);
    expect(m.deadLettered).toBe(0);
    expect(await harness.redis.xlen(harness.keys.deadLetterStream())).toBe(0);
  });
});
