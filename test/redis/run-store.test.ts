import { Redis } from 'ioredis';
import { RunEventType } from '../../src/core/events';
import { NodeStatus, RunStatus } from '../../src/core/states';
import { RedisKeys } from '../../src/redis/keys';
import { NodeField, RunField } from '../../src/redis/run-state-codec';
import { RunStore, TransitionRejection, type TransitionChange } from '../../src/redis/run-store';
import { deleteKeys, REDIS_URL, uniqueSuffix } from '../support/test-stack';

/** The Lua transitions against a real Redis: atomic checks, lease, seq without gaps. */
describe('RunStore', () => {
  const prefix = `syt:${uniqueSuffix()}:`;
  const keys = new RedisKeys(prefix);
  let redis: Redis;
  let store: RunStore;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    store = new RunStore(redis, keys);
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  const newRun = (runId: string, idempotencyKey?: string) =>
    store.createRun({
      runId,
      tenantId: 't1',
      createdAtMs: Date.now(),
      idempotencyKey,
      idempotencyTtlSeconds: 60,
      run: {
        [RunField.TenantId]: 't1',
        [RunField.Status]: RunStatus.Queued,
        [RunField.NodeIds]: ['a'],
        [RunField.Definition]: { nodes: [] },
      },
      nodes: [['a', { [NodeField.Status]: NodeStatus.Pending, [NodeField.Block]: 'debug.sleep' }]],
      event: {
        type: RunEventType.RunQueued,
        runId,
        tenantId: 't1',
        at: new Date().toISOString(),
        data: { workflowId: 'w', workflowVersion: 1, inputs: {}, priority: 0, nodes: [{ id: 'a', block: 'debug.sleep' }] },
      },
    });

  it('creates a run with RUN_QUEUED as seq 1, once per idempotency key even under concurrency', async () => {
    const ids = [
      '00000000-0000-0000-0000-000000000001',
      '00000000-0000-0000-0000-000000000002',
      '00000000-0000-0000-0000-000000000003',
    ];
    const results = await Promise.all(ids.map((id) => newRun(id, 'same-key')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.runId)).size).toBe(1);
    const events = await store.events(results[0]!.runId);
    expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'RUN_QUEUED']]);
  });

  it('applies a transition only in the expected state and under the lease, with consecutive seqs', async () => {
    const runId = '00000000-0000-0000-0000-0000000000aa';
    await newRun(runId);
    expect(await store.holdLease(runId, 'me', 5000)).toBe(true);
    expect(await store.holdLease(runId, 'someone-else', 5000)).toBe(false);

    const start = () =>
      store.transition({
        runId,
        leaseToken: 'me',
        expect: [RunStatus.Queued],
        run: { [RunField.Status]: RunStatus.Running },
        event: { type: RunEventType.RunStarted, runId, tenantId: 't1', at: new Date().toISOString() },
      });
    // Ten concurrent attempts at the same transition: exactly one applies.
    const outcomes = await Promise.all(Array.from({ length: 10 }, start));
    expect(outcomes.filter((o) => o.ok)).toEqual([{ ok: true, seq: 2 }]);
    expect(outcomes.filter((o) => !o.ok)[0]).toEqual({
      ok: false,
      rejection: TransitionRejection.UnexpectedStatus,
      actual: 'RUNNING',
    });

    const stolen = await store.transition({
      runId,
      leaseToken: 'someone-else',
      nodeId: 'a',
      expect: [NodeStatus.Pending],
      nodes: [['a', { [NodeField.Status]: NodeStatus.Queued }]],
      event: { type: RunEventType.NodeQueued, runId, tenantId: 't1', nodeId: 'a', attempt: 1, at: new Date().toISOString() },
    });
    expect(stolen).toEqual({ ok: false, rejection: TransitionRejection.LeaseLost });

    const queued = await store.transition({
      runId,
      leaseToken: 'me',
      nodeId: 'a',
      expect: [NodeStatus.Pending],
      expectRun: [RunStatus.Running],
      nodes: [['a', { [NodeField.Status]: NodeStatus.Queued, [NodeField.Attempt]: 1 }]],
      event: { type: RunEventType.NodeQueued, runId, tenantId: 't1', nodeId: 'a', attempt: 1, at: new Date().toISOString() },
    });
    expect(queued).toEqual({ ok: true, seq: 3 });

    const run = await store.load(runId);
    expect(run?.status).toBe(RunStatus.Running);
    expect(run?.nodes.get('a')).toMatchObject({ status: NodeStatus.Queued, attempt: 1 });
    expect((await store.events(runId)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await store.events(runId, 1)).map((e) => e.type)).toEqual(['RUN_STARTED', 'NODE_QUEUED']);
    // the global stream got every event, for the writer
    const stream = await redis.xrange(keys.eventStream(), '-', '+');
    expect(stream.map(([, f]) => JSON.parse(f[1] as string).runId).filter((id: string) => id === runId)).toHaveLength(3);
  });

  it('applies a batch of transitions in order, each checked against what the ones before it left', async () => {
    const runId = '00000000-0000-0000-0000-0000000000bb';
    await newRun(runId);
    expect(await store.holdLease(runId, 'me', 5000)).toBe(true);
    const at = new Date().toISOString();
    const common = { runId, tenantId: 't1', nodeId: 'a', attempt: 1, at };
    const events = {
      [NodeStatus.Queued]: { type: RunEventType.NodeQueued, ...common },
      [NodeStatus.Running]: { type: RunEventType.NodeStarted, ...common },
      [NodeStatus.Succeeded]: { type: RunEventType.NodeSucceeded, output: {}, ...common },
    } as const;
    const node = (from: NodeStatus, to: keyof typeof events): TransitionChange => ({
      nodeId: 'a',
      expect: [from],
      expectRun: [RunStatus.Running],
      nodes: [['a', { [NodeField.Status]: to }]],
      event: events[to],
    });
    const results = await store.transitions(runId, 'me', [
      {
        expect: [RunStatus.Queued],
        run: { [RunField.Status]: RunStatus.Running },
        event: { type: RunEventType.RunStarted, runId, tenantId: 't1', at },
      },
      node(NodeStatus.Pending, NodeStatus.Queued),
      // Refused: the node is QUEUED now, not RUNNING. The batch goes on.
      node(NodeStatus.Running, NodeStatus.Succeeded),
      node(NodeStatus.Queued, NodeStatus.Running),
      // The last transition of the driver releases the lease...
      { nodeId: 'a', expect: [NodeStatus.Running], nodes: [['a', { [NodeField.Progress]: 0.5 }]], releaseLease: true },
      // ...so one after it in the same batch is refused.
      node(NodeStatus.Running, NodeStatus.Succeeded),
    ]);
    expect(results).toEqual([
      { ok: true, seq: 2 },
      { ok: true, seq: 3 },
      { ok: false, rejection: TransitionRejection.UnexpectedStatus, actual: 'QUEUED' },
      { ok: true, seq: 4 },
      { ok: true, seq: 0 },
      { ok: false, rejection: TransitionRejection.LeaseLost },
    ]);
    expect((await store.events(runId)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'RUN_QUEUED'],
      [2, 'RUN_STARTED'],
      [3, 'NODE_QUEUED'],
      [4, 'NODE_STARTED'],
    ]);
    expect((await store.load(runId))?.nodes.get('a')).toMatchObject({ status: NodeStatus.Running });
    expect(await redis.exists(keys.runLease(runId))).toBe(0);
  });

  it('refuses transitions of a run that does not exist', async () => {
    expect(await store.transition({ runId: 'nope', run: { [RunField.Status]: RunStatus.Failed } })).toEqual({
      ok: false,
      rejection: TransitionRejection.RunNotFound,
    });
  });
});
