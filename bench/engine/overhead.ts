import { fmt, percentile, type BenchStack } from '../support/bench-stack';
import { runToEndQuietly, runWallMs, sleep, type RunFinished } from './run-and-wait';

const N = 100;
/**
 * Node executions before measuring, per shape. The worker and gpu-worker run JavaScript that V8
 * optimises only after thousands of calls: measured after a few hundred nodes, the same chain costs
 * about twice as much per node as it does in a process that has been up for a while.
 */
const WARM_UP_NODES = 3000;
const MEASURED_RUNS = 7;

/**
 * Engine overhead per node: a 100-node chain and a 100-node fan-out of 0 ms nodes. With nothing to
 * execute, the run's wall time divided by its nodes is what the engine itself costs per node
 * (scheduling, atomic transitions, the RunPod round trip). Goal: < 2 ms.
 */
export async function benchOverhead(stack: BenchStack, finished: RunFinished): Promise<boolean> {
  const chain = {
    nodes: Array.from({ length: N }, (_, i) => sleep(`n${i}`, 0, i === 0 ? undefined : `$nodes.n${i - 1}.sleptMs`)),
  };
  const fanOut = {
    nodes: [sleep('root', 0), ...Array.from({ length: N - 1 }, (_, i) => sleep(`n${i}`, 0, '$nodes.root.sleptMs'))],
  };
  const warmUpRuns = Math.ceil(WARM_UP_NODES / N);
  console.log(
    `\n## Overhead per node (${N} nodes of 0 ms; median of ${MEASURED_RUNS} runs after ${warmUpRuns} warm-up runs; first = the first run of the shape, before warming up; no live subscriber)`,
  );
  console.log('| shape | first run per node ms | wall ms | per node ms | goal < 2 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  let ok = true;
  for (const [name, def] of [
    ['chain', chain],
    ['fan-out', fanOut],
  ] as const) {
    // Warm-up lets the processes' JIT compile the hot paths, as in any long-running deployment.
    const first = runWallMs(await runToEndQuietly(stack.client, finished, def));
    for (let r = 1; r < warmUpRuns; r++) await runToEndQuietly(stack.client, finished, def);
    const walls: number[] = [];
    for (let r = 0; r < MEASURED_RUNS; r++) walls.push(runWallMs(await runToEndQuietly(stack.client, finished, def)));
    const wall = percentile(walls, 50);
    const perNode = wall / N;
    ok &&= perNode < 2;
    console.log(`| ${name} | ${fmt(first / N, 2)} | ${fmt(wall, 0)} | ${fmt(perNode, 2)} | ${perNode < 2 ? 'met' : 'MISSED'} |`);
  }
  return ok;
}
