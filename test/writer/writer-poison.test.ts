import { randomUUID } from 'node:crypto';
import { appendEvents, appendRaw, interleave, streamText, syntheticRuns } from '../../bench/writer/synthetic-runs';
import { startWriterHarness, type WriterHarness } from '../../bench/writer/writer-harness';
import { RunEventType, type RunEvent } from '../../src/core/events';
import { DeadLetterField } from '../../worker/writer/dead-letter';
import { waitFor } from '../support/wait-for';
import { eventRowCount, storedMismatches, streamBacklog } from './support/stored-state';
import { spawnWriter, type WriterProcess } from './support/writer-process';

const MAX_ATTEMPTS = 3;

/** Reads the dead-letter stream into objects keyed by field. */
async function deadLetters(harness: WriterHarness): Promise<Array<Record<string, string>>> {
  const entries = await harness.redis.xrange(harness.keys.deadLetterStream(), '-', '+');
  return entries.map(([, fields]) => {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
    return out;
  });
}

/**
 * Events that can never be stored go to the dead-letter stream with their reason (unreadable
 * ones at once, ones the database refuses after WRITER_MAX_ATTEMPTS tries alone), while every other
 * event, before and after them in the stream and in the same batches, is stored.
 */
describe('writer with poison events', () => {
  let harness: WriterHarness;
  let writer: WriterProcess | undefined;

  beforeAll(async () => {
    harness = await startWriterHarness('wpois');
    writer = await spawnWriter(harness, 'writer-a', {
      WRITER_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      // Long waits between a suspect's tries make "the rest was not held up" observable: all good
      // events must be stored long before the suspects run out of attempts.
      WRITER_RETRY_INITIAL_MS: '2000',
      WRITER_RETRY_MAX_MS: '4000',
    });
  });
  afterAll(async () => {
    await writer?.child.stop();
    await harness?.stop();
  });

  it('dead-letters them with their reasons and lets the rest flow on', async () => {
    const runs = syntheticRuns(20, 40);
    const good = interleave(runs, 21);
    const victim = runs[0]!;
    const at = new Date().toISOString();
    const notAUuid: RunEvent = {
      type: RunEventType.RunStarted,
      runId: 'run-that-is-not-a-uuid',
      tenantId: 'default',
      seq: 2,
      at,
    };
    // Same run as good events in its batch: the run patch overflows an integer column.
    const seqOverflow: RunEvent = {
      type: RunEventType.NodeProgress,
      runId: victim.runId,
      tenantId: 'default',
      seq: 3_000_000_000,
      at,
      nodeId: 'detect',
      attempt: 1,
      progress: 0.5,
    };
    // Passes parseRunEvent, but its node list holds no node.
    const badNodes = {
      type: RunEventType.RunQueued,
      runId: randomUUID(),
      tenantId: 'default',
      seq: 1,
      at,
      data: { workflowId: randomUUID(), workflowVersion: 1, inputs: {}, priority: 0, nodes: [null] },
    } as unknown as RunEvent;
    const stream = harness.keys.eventStream();

    const before = await appendEvents(harness.redis, stream, good.slice(0, 400));
    const [noField, badJson] = await appendRaw(harness.redis, stream, [
      ['x', 'y'],
      ['e', '{"seq":1,"type":'],
    ]);
    const [idUuid, idOverflow, idNodes] = await appendEvents(harness.redis, stream, [notAUuid, seqOverflow, badNodes]);
    const after = await appendEvents(harness.redis, stream, good.slice(400));
    expect(before.length + after.length).toBe(800);

    // Every good event is stored while the suspects still wait for their next try.
    expect(
      await waitFor(
        () => eventRowCount(harness.pg),
        (n) => n === 800,
        20_000,
      ),
    ).toBe(800);
    expect(await storedMismatches(harness.pg, runs)).toEqual([]);
    const early = await deadLetters(harness);
    expect(early.map((d) => d[DeadLetterField.Id]).sort()).toEqual([noField, badJson].sort());
    expect(
      (
        await waitFor(
          () => writer!.metrics(),
          (m) => m.suspects === 3,
        )
      ).suspects,
    ).toBe(3);
    expect((await deadLetters(harness)).length).toBe(2);

    const letters = await waitFor(
      () => deadLetters(harness),
      (d) => d.length === 5,
      30_000,
    );
    const { Id, Reason, Attempts, Event } = DeadLetterField;
    const byId = new Map(letters.map((d) => [d[Id], d]));
    expect(byId.get(noField!)).toMatchObject({ [Reason]: 'entry has no "e" field', [Attempts]: '1', [Event]: '' });
    expect(byId.get(badJson!)).toMatchObject({ [Attempts]: '1', [Event]: '{"seq":1,"type":' });
    expect(byId.get(badJson!)?.[Reason]).toMatch(/JSON/);
    expect(byId.get(idUuid!)).toMatchObject({ [Attempts]: String(MAX_ATTEMPTS), [Event]: streamText(notAUuid) });
    expect(byId.get(idUuid!)?.[Reason]).toMatch(/rejected it 3 times: invalid input syntax for type uuid/);
    expect(byId.get(idOverflow!)?.[Reason]).toMatch(/out of range/);
    expect(byId.get(idNodes!)?.[Reason]).toMatch(/cannot fold/);

    expect(
      await waitFor(
        () => streamBacklog(harness.redis, harness.keys),
        (b) => b.length === 0 && b.pending === 0,
      ),
    ).toEqual({ length: 0, pending: 0 });
    expect(await eventRowCount(harness.pg)).toBe(800);
    const m = await writer!.metrics();
    expect(m).toMatchObject({ deadLettered: 5, suspects: 0, eventsWritten: 800 });
    expect(writer!.lines.some((l) => l.includes('events moved to the dead-letter stream'))).toBe(true);
  });
});
