import { startBenchStack } from '../support/bench-stack';
import { benchOverhead } from './overhead';
import { benchParallelism } from './parallelism';
import { benchThroughput } from './throughput';

/** The engine benchmarks (issue 3), each against its baseline in the same run. */
export async function main(): Promise<void> {
  console.log('# Engine benchmarks (whole stack as real processes on this machine)');
  const stack = await startBenchStack();
  try {
    await benchParallelism(stack);
    await benchOverhead(stack);
    await benchThroughput(stack);
  } finally {
    await stack.teardown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
