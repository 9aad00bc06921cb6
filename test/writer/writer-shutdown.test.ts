import { appendEvents, interleave, syntheticRuns } from '../../bench/writer/synthetic-runs';
import { startWriterHarness, type WriterHarness } from '../../bench/writer/writer-harness';
import { waitFor } from '../support/wait-for';
import { eventRowCount, pendingIdsOf, storedMismatches, streamBacklog } from './support/stored-state';
import { spawnWriter, type WriterProcess } from './support/writer-process';

/**
 * SIGTERM: the writer writes what it has read, acknowledges it and exits. When the database is
 * away it exits without acknowledging, so the events stay in the stream for the next writer.
 */
describe('writer on SIGTERM', () => {
  let harness: WriterHarness;
  const started: WriterProcess[] = [];
  // A batch waits (up to a minute) for more events: what the writer read stays unwritten until it flushes.
  const holdBatch = { WRITER_MAX_BATCH_WAIT_MS: '60000', WRITER_MAX_BATCH_SIZE: '5000', SHUTDOWN_GRACE_MS: '3000' };

  beforeAll(async () => {
    harness = await startWriterHarness('wterm');
  });
  afterAll(async () => {
    for (const w of started) await w.child.stop();
    await harness?.stop();
  });

  const start = async (name: string, env: Record<string, string>): Promise<WriterProcess> => {
    const w = await spawnWriter(harness, name, env);
    started.push(w);
    return w;
  };

  it('flushes and acknowledges the batch it holds, then exits 0', async () => {
    const runs = syntheticRuns(6, 50);
    const writer = await start('writer-a', holdBatch);
    await appendEvents(harness.redis, harness.keys.eventStream(), interleave(runs, 2));
    // Read into the writer's batch, not written yet.
    expect(
      await waitFor(
        () => pendingIdsOf(harness.redis, harness.keys, writer.consumer),
        (ids) => ids.length === 300,
      ),
    ).toHaveLength(300);
    expect(await eventRowCount(harness.pg)).toBe(0);

    writer.child.process.kill('SIGTERM');
    expect(await writer.child.exited).toEqual({ code: 0, signal: null });
    expect(await eventRowCount(harness.pg)).toBe(300);
    expect(await storedMismatches(harness.pg, runs)).toEqual([]);
    expect(await streamBacklog(harness.redis, harness.keys)).toEqual({ length: 0, pending: 0 });
  });

  it('leaves what it could not write in the stream, for the next writer', async () => {
    await harness.pg.query('truncate public.run_events, public.runs, public.run_nodes');
    const runs = syntheticRuns(4, 50);
    const writer = await start('writer-b', holdBatch);
    await appendEvents(harness.redis, harness.keys.eventStream(), interleave(runs, 4));
    expect(
      await waitFor(
        () => pendingIdsOf(harness.redis, harness.keys, writer.consumer),
        (ids) => ids.length === 200,
      ),
    ).toHaveLength(200);

    await harness.stopPostgrest();
    writer.child.process.kill('SIGTERM');
    await writer.child.exited;
    // Not acknowledged: still pending under the writer that left, and still in the stream.
    expect(await pendingIdsOf(harness.redis, harness.keys, writer.consumer)).toHaveLength(200);
    expect(await streamBacklog(harness.redis, harness.keys)).toEqual({ length: 200, pending: 200 });
    expect(writer.lines.some((l) => l.includes('stopping with a batch the database did not take'))).toBe(true);

    await harness.startPostgrest();
    await start('writer-c', { WRITER_CLAIM_IDLE_MS: '200' });
    expect(
      await waitFor(
        () => eventRowCount(harness.pg),
        (n) => n === 200,
      ),
    ).toBe(200);
    expect(await storedMismatches(harness.pg, runs)).toEqual([]);
    expect(
      await waitFor(
        () => streamBacklog(harness.redis, harness.keys),
        (b) => b.length === 0 && b.pending === 0,
      ),
    ).toEqual({ length: 0, pending: 0 });
  });
});
