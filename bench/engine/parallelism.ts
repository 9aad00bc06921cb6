import { fmt, type BenchStack } from '../support/bench-stack';
import { runToEndQuietly, runWallMs, sleep, type RunFinished } from './run-and-wait';

const NODE_MS = 200;
const WIDTHS = [1, 2, 4, 8, 16, 32];
const REPEATS = 3;

/**
 * W independent debug.sleep nodes of 200 ms in one run: the run's wall time against the sequential
 * baseline W x 200 ms. Goal: wall <= 200 ms + 50 ms for W <= 32.
 */
export async function benchParallelism(stack: BenchStack, finished: RunFinished): Promise<boolean> {
  console.log(
    `\n## Parallelism: W independent ${NODE_MS} ms nodes (median of ${REPEATS} after a warm-up run; no live subscriber)`,
  );
  console.log('| W | wall ms | sequential ms | speed-up (sequential / wall) | goal wall <= 250 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  let ok = true;
  for (const w of WIDTHS) {
    const definition = { nodes: Array.from({ length: w }, (_, i) => sleep(`n${i}`, NODE_MS)) };
    await runToEndQuietly(stack.client, finished, definition);
    const walls: number[] = [];
    for (let r = 0; r < REPEATS; r++) walls.push(runWallMs(await runToEndQuietly(stack.client, finished, definition)));
    walls.sort((a, b) => a - b);
    const wall = walls[Math.floor(walls.length / 2)] as number;
    const pass = wall <= NODE_MS + 50;
    ok &&= pass;
    console.log(`| ${w} | ${fmt(wall, 0)} | ${w * NODE_MS} | ${fmt((w * NODE_MS) / wall, 2)}x | ${pass ? 'met' : 'MISSED'} |`);
  }
  return ok;
}
