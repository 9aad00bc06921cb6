import { BLOCK_CATALOG } from '../../src/core/blocks';
import { compileDefinition } from '../../src/core/definition';
import { NodeErrorCode } from '../../src/core/errors';
import { decideAfterFailure, planRun, type NodeRuntimeState, type RunRuntimeState } from '../../src/core/scheduler';
import { NodeStatus, RunStatus } from '../../src/core/states';

const sleep = (id: string, after?: string | string[], extra: Record<string, unknown> = {}) => ({
  id,
  block: 'debug.sleep',
  ...(after ? { inputs: { after } } : {}),
  ...extra,
});

function compile(def: unknown) {
  return compileDefinition(def, BLOCK_CATALOG);
}

function state(
  nodes: Record<string, Partial<NodeRuntimeState> & { status: NodeStatus }>,
  extra: Partial<RunRuntimeState> = {},
): RunRuntimeState {
  return {
    inputs: {},
    nodes: new Map(Object.entries(nodes).map(([id, n]) => [id, { attempt: 0, budgetStart: 0, ...n }])),
    startedAtMs: 0,
    cancelRequested: false,
    ...extra,
  };
}

const P = NodeStatus.Pending;
const S = NodeStatus.Succeeded;
const R = NodeStatus.Running;
const F = NodeStatus.Failed;

describe('planRun', () => {
  const diamond = compile({
    nodes: [
      sleep('a'),
      sleep('b', '$nodes.a.sleptMs'),
      sleep('c', '$nodes.a.sleptMs'),
      sleep('d', ['$nodes.b.sleptMs', '$nodes.c.sleptMs']),
    ],
    outputs: { d: '$nodes.d.attempt' },
  });

  it.each([
    ['starts the root first', { a: P, b: P, c: P, d: P }, ['a'], []],
    ['fans out once the root succeeded', { a: S, b: P, c: P, d: P }, ['b', 'c'], []],
    ['starts a node the moment its inputs are ready, not level by level', { a: S, b: S, c: R, d: P }, [], []],
    ['fans in when every input succeeded', { a: S, b: S, c: S, d: P }, ['d'], []],
  ])('%s', (_name, statuses, start, skip) => {
    const decision = planRun(
      diamond,
      state(Object.fromEntries(Object.entries(statuses).map(([k, s]) => [k, { status: s }]))),
      1000,
      { maxParallelNodes: 64 },
    );
    expect(decision.start).toEqual(start);
    expect(decision.skip).toEqual(skip);
    expect(decision.outcome).toBeUndefined();
  });

  it('succeeds with the resolved outputs once every node is done', () => {
    const s = state({
      a: { status: S },
      b: { status: S },
      c: { status: S },
      d: { status: S, output: { attempt: 2, sleptMs: 1 } },
    });
    expect(planRun(diamond, s, 0, { maxParallelNodes: 64 }).outcome).toEqual({ status: RunStatus.Succeeded, output: { d: 2 } });
  });

  it("honours the per-run parallel limit and the definition's own", () => {
    const wide = compile({ nodes: Array.from({ length: 10 }, (_, i) => sleep(`n${i}`)), maxParallelNodes: 3 });
    const none = state(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`n${i}`, { status: P }])));
    expect(planRun(wide, none, 0, { maxParallelNodes: 64 }).start).toEqual(['n0', 'n1', 'n2']);
    expect(planRun(wide, none, 0, { maxParallelNodes: 2 }).start).toEqual(['n0', 'n1']);
    const twoRunning = state({
      ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`n${i}`, { status: P }])),
      n0: { status: R },
      n1: { status: R },
    });
    expect(planRun(wide, twoRunning, 0, { maxParallelNodes: 64 }).start).toEqual(['n2']);
  });

  describe('conditions', () => {
    const gated = compile({
      inputs: { go: 'boolean' },
      nodes: [sleep('gate', undefined, { when: '$inputs.go' }), sleep('after', '$nodes.gate.sleptMs'), sleep('free')],
    });

    it('skips a node whose condition is false, and transitively what needs it', () => {
      const d = planRun(
        gated,
        state({ gate: { status: P }, after: { status: P }, free: { status: P } }, { inputs: { go: false } }),
        0,
        { maxParallelNodes: 64 },
      );
      expect(d.skip).toEqual(['gate', 'after']);
      expect(d.start).toEqual(['free']);
    });

    it('runs it when the condition is true', () => {
      const d = planRun(
        gated,
        state({ gate: { status: P }, after: { status: P }, free: { status: P } }, { inputs: { go: true } }),
        0,
        { maxParallelNodes: 64 },
      );
      expect(d.skip).toEqual([]);
      expect(d.start).toEqual(['gate', 'free']);
    });

    it('succeeds when everything left was skipped', () => {
      const d = planRun(
        gated,
        state({ gate: { status: NodeStatus.Skipped }, after: { status: NodeStatus.Skipped }, free: { status: S } }),
        0,
        { maxParallelNodes: 64 },
      );
      expect(d.outcome?.status).toBe(RunStatus.Succeeded);
    });
  });

  describe('failure propagation', () => {
    const chain = compile({ nodes: [sleep('a'), sleep('b', '$nodes.a.sleptMs'), sleep('c')] });
    const err = { code: NodeErrorCode.BlockFailed, message: 'boom', retryable: false };

    it('fails the run when a node fails', () => {
      const d = planRun(chain, state({ a: { status: F, error: err }, b: { status: P }, c: { status: R } }), 0, {
        maxParallelNodes: 64,
      });
      expect(d.outcome).toEqual({
        status: RunStatus.Failed,
        error: { code: 'BLOCK_FAILED', message: 'node "a" failed: boom', nodeId: 'a', retryable: false },
      });
    });

    it('skips the dependants of a node allowed to fail, and goes on', () => {
      const tolerant = compile({
        nodes: [sleep('a', undefined, { allowFailure: true }), sleep('b', '$nodes.a.sleptMs'), sleep('c')],
      });
      const d = planRun(tolerant, state({ a: { status: F, error: err }, b: { status: P }, c: { status: P } }), 0, {
        maxParallelNodes: 64,
      });
      expect(d.outcome).toBeUndefined();
      expect(d.skip).toEqual(['b']);
      expect(d.start).toEqual(['c']);
    });

    it('cancels when asked', () => {
      expect(
        planRun(chain, state({ a: { status: R }, b: { status: P }, c: { status: P } }, { cancelRequested: true }), 0, {
          maxParallelNodes: 64,
        }).outcome,
      ).toEqual({
        status: RunStatus.Cancelled,
      });
    });

    it('fails the run past its deadline and wakes for it before', () => {
      const timed = compile({ nodes: [sleep('a')], deadlineMs: 5000 });
      const running = state({ a: { status: R } }, { startedAtMs: 1000 });
      expect(planRun(timed, running, 5999, { maxParallelNodes: 64 })).toMatchObject({ outcome: undefined, wakeAtMs: 6000 });
      expect(planRun(timed, running, 6000, { maxParallelNodes: 64 }).outcome).toMatchObject({
        status: RunStatus.Failed,
        error: { code: 'RUN_DEADLINE_EXCEEDED' },
      });
    });
  });

  describe('retries', () => {
    const one = compile({
      nodes: [sleep('a', undefined, { retry: { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1000 } })],
    });
    const node = one.nodes.get('a');
    const retryable = { code: 'BLOCK_FAILED', message: 'x', retryable: true };

    it("waits for a retrying node's backoff, then starts it", () => {
      const s = state({ a: { status: NodeStatus.Retrying, attempt: 1, notBefore: 500 } });
      expect(planRun(one, s, 499, { maxParallelNodes: 64 })).toMatchObject({ start: [], wakeAtMs: 500 });
      expect(planRun(one, s, 500, { maxParallelNodes: 64 }).start).toEqual(['a']);
    });

    it.each([
      [1, 0, retryable, { retry: true }],
      [2, 0, retryable, { retry: true }],
      [3, 0, retryable, { retry: false }],
      [4, 3, retryable, { retry: true }], // a retryRun started a fresh budget at attempt 3
      [1, 0, { ...retryable, retryable: false }, { retry: false }],
    ])('after attempt %i (budget from %i) decides %j', (attempt, budgetStart, error, expected) => {
      expect(decideAfterFailure(node!, { attempt, budgetStart }, error, 0.5)).toMatchObject(expected);
    });

    it('backs off exponentially with full jitter, capped', () => {
      const delays = [1, 2, 3, 4, 5].map((used) =>
        decideAfterFailure(
          compile({
            nodes: [sleep('a', undefined, { retry: { maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 1000 } })],
          }).nodes.get('a')!,
          { attempt: used, budgetStart: 0 },
          retryable,
          0.999,
        ),
      );
      expect(delays.map((d) => (d.retry ? d.delayMs : -1))).toEqual([99, 199, 399, 799, 999]);
      expect(decideAfterFailure(node!, { attempt: 1, budgetStart: 0 }, retryable, 0)).toEqual({ retry: true, delayMs: 0 });
    });
  });
});
