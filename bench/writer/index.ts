import { main as persistenceLag } from './persistence-lag';
import { main as throughput } from './throughput';

/**
 * The batching writer's benchmarks (`node dist/bench/writer/index.js`, or `npm run bench -- writer`):
 * throughput and requests against a naive writer on the same events, and end-to-end persistence lag.
 * Each needs PostgreSQL and Redis; each starts its own PostgREST and database.
 */
export async function main(): Promise<void> {
  await throughput();
  await persistenceLag();
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
