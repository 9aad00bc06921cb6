import { createLogger } from '../src/observability/logger';
import { announceReady, stopOnSignals } from '../src/lifecycle';
import { cpuBlockHandlers } from './blocks/cpu';
import { RunWorker } from './run-worker';
import { compileWorkerOptions } from './worker-options';

/** Entry point of a worker process (`node dist/worker/main.js`). */
async function main(): Promise<void> {
  const log = createLogger('worker');
  const options = compileWorkerOptions(process.env);
  const worker = new RunWorker(options, cpuBlockHandlers, log);
  stopOnSignals(
    () => worker.stop(),
    options.shutdownGraceMs + 5000,
    (m) => log.info(m),
  );
  await worker.start();
  announceReady();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
