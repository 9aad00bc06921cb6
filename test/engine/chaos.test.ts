import { RunEventHistoryDocument } from '../../src/client/generated/graphql';
import { StackProcess } from '../../src/stack/stack';
import { startTestStack, type TestStack } from '../support/test-stack';
import { collectEvents, gpuWorkerStats, sleepNode, startRun } from '../support/run-helpers';

const RUNS = 50;

/** A 6-node DAG: a fans out to b and c, d joins them, e runs alone, f joins d and e. */
function sixNodeDag(seed: number) {
  const ms = (i: number) => 60 + ((seed * 7 + i * 13) % 5) * 40;
  return {
    nodes: [
      sleepNode('a', { ms: ms(1) }),
      sleepNode('b', { ms: ms(2) }, { inputs: { after: '$nodes.a.sleptMs' } }),
      sleepNode('c', { ms: ms(3) }, { inputs: { after: '$nodes.a.sleptMs' } }),
      sleepNode('d', { ms: ms(4) }, { inputs: { after: ['$nodes.b.sleptMs', '$nodes.c.sleptMs'] } }),
      sleepNode('e', { ms: ms(5) }),
      sleepNode('f', { ms: ms(6) }, { inputs: { after: ['$nodes.d.sleptMs', '$nodes.e.sleptMs'] } }),
    ],
    outputs: { f: '$nodes.f.attempt' },
  };
}

/**
 * Chaos: 50 runs while a harness SIGKILLs worker processes at random moments and starts new ones.
 * Every run must finish SUCCEEDED with gap-free seqs, and the gpu-worker's own ledger must show no
 * node executed again after its result was recorded.
 */
describe('chaos: workers killed with SIGKILL at random moments', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ workers: 3 });
  }, 120_000);

  afterAll(async () => {
    await stack?.teardown();
  });

  it('finishes every run, never re-executes a recorded node, and keeps every event sequence whole', async () => {
    let kills = 0;
    let stop = false;
    let spawned = 0;
    const killer = (async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 400 + Math.random() * 900));
        if (stop) break;
        const workers = [...stack.children.entries()].filter(
          ([name, c]) => name.startsWith('worker') && c.process.exitCode === null && c.process.signalCode === null,
        );
        const victim = workers[Math.floor(Math.random() * workers.length)];
        if (!victim) continue;
        victim[1].process.kill('SIGKILL');
        await victim[1].exited;
        stack.children.delete(victim[0]);
        kills += 1;
        await stack.spawn(StackProcess.Worker, `worker-replacement-${++spawned}`);
      }
    })();

    const runIds: string[] = [];
    const finished: Array<Promise<Awaited<ReturnType<typeof collectEvents>>>> = [];
    for (let i = 0; i < RUNS; i++) {
      const id = await startRun(stack.client, sixNodeDag(i), {}, `chaos-${i}`);
      runIds.push(id);
      finished.push(collectEvents(stack.client, id));
      await new Promise((r) => setTimeout(r, 150));
    }
    const streams = await Promise.all(finished);
    stop = true;
    await killer;

    expect(kills).toBeGreaterThanOrEqual(5);
    for (const events of streams) {
      expect(events.at(-1)?.type).toBe('RUN_SUCCEEDED');
      expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
    }

    const stats = await gpuWorkerStats(stack.runpodEndpointUrl, stack.runpodApiKey);
    let reexecutions = 0;
    for (const [i, runId] of runIds.entries()) {
      // the stored history agrees with what the subscription streamed
      const { runEventHistory } = await stack.client.request(RunEventHistoryDocument, { runId });
      expect(runEventHistory.map((e) => e.seq)).toEqual(streams[i]!.map((e) => e.seq));
      for (const nodeId of ['a', 'b', 'c', 'd', 'e', 'f']) {
        const succeeded = runEventHistory.filter((e) => e.type === 'NODE_SUCCEEDED' && e.nodeId === nodeId);
        expect(succeeded).toHaveLength(1);
        const recordedAt = Date.parse(succeeded[0]!.at);
        const executions = stats.executions.filter((x) => x.runId === runId && x.nodeId === nodeId);
        expect(executions.length).toBeGreaterThanOrEqual(1);
        reexecutions += executions.filter((x) => x.startedAt > recordedAt).length;
      }
    }
    expect(reexecutions).toBe(0);
  }, 240_000);
});
