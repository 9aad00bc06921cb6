import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WriterHarness } from '../../../bench/writer/writer-harness';
import { READY_MESSAGE } from '../../../src/lifecycle';
import { projectRoot } from '../../../src/paths';
import { spawnManaged, type ManagedChild } from '../../../src/stack/child-process';
import { freePort } from '../../../src/stack/free-port';
import type { WriterMetrics } from '../../../worker/writer/event-writer';

/** A writer as a real process (dist/worker/writer/main.js), with its log lines and its /metrics. */
export interface WriterProcess {
  consumer: string;
  child: ManagedChild;
  /** Every log line so far (pino JSON). */
  lines: string[];
  metrics(): Promise<WriterMetrics>;
}

export async function spawnWriter(
  harness: WriterHarness,
  consumer: string,
  env: Record<string, string> = {},
): Promise<WriterProcess> {
  const entry = join(projectRoot(), 'dist', 'worker', 'writer', 'main.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` first');
  const port = await freePort();
  const lines: string[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const child = spawnManaged(consumer, process.execPath, [entry], {
    cwd: projectRoot(),
    env: harness.writerEnv({ WRITER_CONSUMER: consumer, WRITER_METRICS_PORT: String(port), ...env }),
    quiet: !process.env.SWITCHYARD_TEST_LOGS,
    onLine: (line) => lines.push(line),
    onMessage: (message) => {
      if (message === READY_MESSAGE) ready();
    },
  });
  const outcome = await Promise.race([
    isReady.then(() => 'ready'),
    child.exited.then((e) => `exited with ${e.code ?? e.signal}: ${lines.slice(-5).join('\n')}`),
    sleep(20_000, 'timed out', { ref: false }),
  ]);
  if (outcome !== 'ready') {
    await child.stop(1000);
    throw new Error(`writer ${consumer} did not start: ${outcome}`);
  }
  return {
    consumer,
    child,
    lines,
    metrics: async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as WriterMetrics,
  };
}
