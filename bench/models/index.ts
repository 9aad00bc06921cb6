import { main as batchingThroughput } from './batching-throughput';
import { main as coldWarmLatency } from './cold-warm-latency';

/** All model benchmarks on the CPU: `node dist/bench/models/index.js`. */
export async function main(): Promise<void> {
  await coldWarmLatency();
  await batchingThroughput();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
