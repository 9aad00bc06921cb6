import { announceReady, stopOnSignals } from '../lifecycle';
import { createLogger } from '../observability/logger';
import { compileApiOptions } from './api-options';
import { startApiServer } from './server';

/** Entry point of the API process (`node dist/src/api/main.js`). */
async function main(): Promise<void> {
  const log = createLogger('api');
  const options = compileApiOptions(process.env);
  const api = await startApiServer(options, log);
  stopOnSignals(
    () => api.stop(),
    options.shutdownGraceMs + 5000,
    (m) => log.info(m),
  );
  log.info({ url: api.url }, 'API ready');
  announceReady();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
