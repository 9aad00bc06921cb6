import { RunEventType, type RunEvent } from '../../src/core/events';
import { foldEventBatch } from '../../src/store/event-batch';

const base = { runId: 'r1', tenantId: 't' };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const events: RunEvent[] = [
  {
    ...base,
    seq: 1,
    at: at(1),
    type: RunEventType.RunQueued,
    data: {
      workflowId: 'w',
      workflowVersion: 2,
      inputs: { x: 1 },
      priority: 0,
      nodes: [
        { id: 'a', block: 'debug.sleep' },
        { id: 'b', block: 'debug.sleep' },
      ],
    },
  },
  { ...base, seq: 2, at: at(2), type: RunEventType.RunStarted },
  { ...base, seq: 3, at: at(3), type: RunEventType.NodeQueued, nodeId: 'a', attempt: 1 },
  { ...base, seq: 4, at: at(4), type: RunEventType.NodeStarted, nodeId: 'a', attempt: 1 },
  {
    ...base,
    seq: 5,
    at: at(5),
    type: RunEventType.NodeRetrying,
    nodeId: 'a',
    attempt: 1,
    error: { code: 'BLOCK_FAILED', message: 'x', retryable: true },
    data: { delayMs: 10 },
  },
  { ...base, seq: 6, at: at(6), type: RunEventType.NodeQueued, nodeId: 'a', attempt: 2 },
  { ...base, seq: 7, at: at(7), type: RunEventType.NodeStarted, nodeId: 'a', attempt: 2 },
  { ...base, seq: 8, at: at(8), type: RunEventType.NodeSucceeded, nodeId: 'a', attempt: 2, output: { sleptMs: 0, attempt: 2 } },
  { ...base, seq: 9, at: at(9), type: RunEventType.NodeSkipped, nodeId: 'b' },
  { ...base, seq: 10, at: at(10), type: RunEventType.RunSucceeded, output: { y: 2 } },
];

describe('foldEventBatch', () => {
  it('makes one row per event, one patch per run and per node, with the newest state', () => {
    const rows = foldEventBatch(events);
    expect(rows.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rows.runs).toEqual([
      expect.objectContaining({
        id: 'r1',
        status: 'SUCCEEDED',
        status_seq: 10,
        last_seq: 10,
        workflow_id: 'w',
        workflow_version: 2,
        outputs: { y: 2 },
        started_at: at(2),
        finished_at: at(10),
        created_at: at(1),
      }),
    ]);
    const a = rows.nodes.find((n) => n.node_id === 'a');
    expect(a).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 2,
      status_seq: 8,
      output: { sleptMs: 0, attempt: 2 },
      error: null,
      started_at: at(7),
      finished_at: at(8),
      block: 'debug.sleep',
      position: 0,
    });
    expect(rows.nodes.find((n) => n.node_id === 'b')).toMatchObject({ status: 'SKIPPED', position: 1, status_seq: 9 });
  });

  it('gives the same rows for any order and for duplicates', () => {
    const shuffled = [...events].reverse();
    expect(foldEventBatch([...shuffled, ...events.slice(0, 4)])).toEqual(foldEventBatch(events));
  });

  it('folds a partial batch into a patch that only says what it knows', () => {
    const rows = foldEventBatch(events.slice(2, 5));
    expect(rows.runs[0]).toMatchObject({ status: null, status_seq: 0, last_seq: 5, workflow_id: null });
    expect(rows.nodes[0]).toMatchObject({
      node_id: 'a',
      status: 'RETRYING',
      status_seq: 5,
      attempts: 1,
      error: { code: 'BLOCK_FAILED' },
    });
  });
});

describe('foldEventBatch row order', () => {
  it('lists runs and nodes in key order, whatever order the events came in, so concurrent batches lock rows alike', () => {
    const run = (runId: string, nodeIds: string[]): RunEvent[] =>
      nodeIds.map((nodeId, i) => ({
        runId,
        tenantId: 't',
        seq: i + 1,
        at: at(i),
        type: RunEventType.NodeQueued,
        nodeId,
        attempt: 1,
      }));
    const rows = foldEventBatch([...run('r2', ['z', 'a']), ...run('r1', ['m', 'b'])]);
    expect(rows.runs.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(rows.nodes.map((n) => `${n.run_id}/${n.node_id}`)).toEqual(['r1/b', 'r1/m', 'r2/a', 'r2/z']);
    expect(rows.events.map((e) => `${e.run_id}#${e.seq}`)).toEqual(['r1#1', 'r1#2', 'r2#1', 'r2#2']);
  });
});
