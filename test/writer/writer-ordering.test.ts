import type { RunEvent } from '../../src/core/events';
import { appendEvents, seededRandom, syntheticRuns } from '../../bench/writer/synthetic-runs';
import { startWriterHarness, type WriterHarness } from '../../bench/writer/writer-harness';
import { waitFor } from '../support/wait-for';
import { eventRowCount, storedMismatches, streamBacklog } from './support/stored-state';
import { spawnWriter, type WriterProcess } from './support/writer-process';

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Newer events stored before older ones (another writer, a replay, a claim) and the same events
 * delivered again: stored state never goes backwards, and no event row appears twice.
 */
describe('writer with out-of-order and duplicated delivery', () => {
  let harness: WriterHarness;
  let writer: WriterProcess | undefined;

  beforeAll(async () => {
    harness = await startWriterHarness('word');
    // Small batches, so newer and older events of one run land in different requests.
    writer = await spawnWriter(harness, 'writer-a', { WRITER_MAX_BATCH_SIZE: '7', WRITER_MAX_BATCH_WAIT_MS: '5' });
  });
  afterAll(async () => {
    await writer?.child.stop();
    await harness?.stop();
  });

  const snapshot = async () => ({
    runs: (
      await harness.pg.query(
        'select id, tenant_id, workflow_id, workflow_version, status, inputs, outputs, error, priority, created_at, started_at, finished_at, last_seq, status_seq from public.runs order by id',
      )
    ).rows,
    nodes: (await harness.pg.query('select * from public.run_nodes order by run_id, node_id')).rows,
    events: (await harness.pg.query('select * from public.run_events order by run_id, seq')).rows,
  });

  it('does not regress a run or a node, and stores each event once', async () => {
    const runs = syntheticRuns(20, 30);
    const total = runs.length * 30;
    const stream = harness.keys.eventStream();
    const newer: RunEvent[] = runs.flatMap((r) => r.events.slice(15).reverse());
    const older: RunEvent[] = runs.flatMap((r) => r.events.slice(0, 15));

    // The newest half of every run first, newest event first, every event twice.
    await appendEvents(
      harness.redis,
      stream,
      newer.flatMap((e) => [e, e]),
    );
    expect(
      await waitFor(
        () => eventRowCount(harness.pg),
        (n) => n === newer.length,
        20_000,
      ),
    ).toBe(newer.length);
    const early = (await harness.pg.query<{ status: string; status_seq: number }>('select status, status_seq from public.runs'))
      .rows;
    expect(early).toHaveLength(runs.length);
    expect(early.every((r) => r.status_seq === 30 && (r.status === 'SUCCEEDED' || r.status === 'FAILED'))).toBe(true);

    // Then the older half, shuffled across runs, with newer events delivered again among them.
    await appendEvents(harness.redis, stream, shuffled([...older, ...newer.filter((_, i) => i % 3 === 0)], 3));
    expect(
      await waitFor(
        () => eventRowCount(harness.pg),
        (n) => n === total,
        20_000,
      ),
    ).toBe(total);
    await waitFor(
      () => streamBacklog(harness.redis, harness.keys),
      (b) => b.length === 0 && b.pending === 0,
    );
    expect(await storedMismatches(harness.pg, runs)).toEqual([]);

    // Metadata only the oldest event carries filled the gaps the newer ones left.
    const run = runs[0]!;
    const row = (await harness.pg.query('select * from public.runs where id = $1', [run.runId])).rows[0] as Record<
      string,
      unknown
    >;
    const first = run.events[0]!;
    const last = run.events.at(-1)!;
    expect(row).toMatchObject({ workflow_version: 1, priority: 0, inputs: { image: { url: 'https://example.test/0.png' } } });
    expect((row.created_at as Date).toISOString()).toBe(first.at);
    expect((row.finished_at as Date).toISOString()).toBe(last.at);
    const nodes = (
      await harness.pg.query('select node_id, block, position from public.run_nodes where run_id = $1 order by position', [
        run.runId,
      ])
    ).rows;
    expect(nodes.map((n: { node_id: string }) => n.node_id)).toEqual(['detect', 'crop', 'recognize', 'annotate']);

    // A full replay of every event changes nothing at all.
    const before = await snapshot();
    await appendEvents(
      harness.redis,
      stream,
      shuffled(
        runs.flatMap((r) => r.events),
        9,
      ),
    );
    await waitFor(
      () => streamBacklog(harness.redis, harness.keys),
      (b) => b.length === 0 && b.pending === 0,
      20_000,
    );
    expect(await snapshot()).toEqual(before);
    const m = await writer!.metrics();
    expect(m.eventsWritten).toBe(total);
    expect(m.deadLettered).toBe(0);
  });
});
