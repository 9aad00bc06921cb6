import { fmt, type BenchStack } from '../support/bench-stack';
import { runToEnd, runWallMs, sleep } from './run-and-wait';

const N = 100;

/**
 * Engine overhead per node: a 100-node chain and a 100-node fan-out of 0 ms nodes. With nothing to
 * execute, the run's wall time divided by its nodes is what the engine itself costs per node
 * (scheduling, atomic transitions, the RunPod round trip). Goal: < 2 ms.
 */
export async function benchOverhead(stack: BenchStack): Promise<boolean> {
  const chain = { nodes: Array.from({ length: N }, (_, i) => sleep(`n${i}`, 0, i === 0 ? undefined : `$nodes.n${i - 1}.sleptMs`)) };
  const fanOut = { nodes: [sleep('root', 0), ...Array.from({ length: N - 1 }, (_, i) => sleep(`n${i}`, 0, '$nodes.root.sleptMs'))] };
  console.log(`\n## Overhead per node (${N} nodes of 0 ms, median of 3)`);
  console.log('| shape | wall ms | per node ms | goal < 2 ms |');
  console.log('| --- | --- | --- | --- |');
  let ok = true;
  for (const [name, def] of [['chain', chain], ['fan-out', fanOut]] as const) {
    await runToEnd(stack.client, def); // warm up
    const walls: number[] = [];
    for (let r = 0; r < 3; r++) walls.push(runWallMs(await runToEnd(stack.client, def)));
    walls.sort((a, b) => a - b);
    const wall = walls[1] as number;
    const perNode = wall / N;
    ok &&= perNode < 2;
    console.log(`| ${name} | ${fmt(wall, 0)} | ${fmt(perNode, 2)} | ${perNode < 2 ? 'met' : 'MISSED'} |`);
  }
  return ok;
}
