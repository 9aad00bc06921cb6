import { fmt, type BenchStack } from '../support/bench-stack';
import { runToEndQuietly, runWallMs, sleep, type RunFinished } from './run-and-wait';

const N = 100;

/**
 * Engine overhead per node: a 100-node chain and a 100-node fan-out of 0 ms nodes. With nothing to
 * execute, the run's wall time divided by its nodes is what the engine itself costs per node
 * (scheduling, atomic transitions, the RunPod round trip). Goal: < 2 ms.
 */
export async function benchOverhead(stack: BenchStack, finished: RunFinished): Promise<boolean> {
  const chain = { nodes: Array.from({ length: N }, (_, i) => sleep(`n${i}`, 0, i === 0 ? undefined : `$nodes.n${i - 1}.sleptMs`)) };
  const fanOut = { nodes: [sleep('root', 0), ...Array.from({ length: N - 1 }, (_, i) => sleep(`n${i}`, 0, '$nodes.root.sleptMs'))] };
  console.log(`\n## Overhead per node (${N} nodes of 0 ms, median of 5 after 3 warm-up runs; no live subscriber)`);
  console.log('| shape | wall ms | per node ms | goal < 2 ms |');
  console.log('| --- | --- | --- | --- |');
  let ok = true;
  for (const [name, def] of [['chain', chain], ['fan-out', fanOut]] as const) {
    // Warm-up lets the processes' JIT compile the hot paths, as in any long-running deployment.
    for (let r = 0; r < 3; r++) await runToEndQuietly(stack.client, finished, def);
    const walls: number[] = [];
    for (let r = 0; r < 5; r++) walls.push(runWallMs(await runToEndQuietly(stack.client, finished, def)));
    walls.sort((a, b) => a - b);
    const wall = walls[2] as number;
    const perNode = wall / N;
    ok &&= perNode < 2;
    console.log(`| ${name} | ${fmt(wall, 0)} | ${fmt(perNode, 2)} | ${perNode < 2 ? 'met' : 'MISSED'} |`);
  }
  return ok;
}
