import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { READY_MESSAGE } from '../../../src/lifecycle';
import { projectRoot } from '../../../src/paths';
import { spawnManaged, type ManagedChild } from '../../../src/stack/child-process';

const MAIN = join('dist', 'gpu-worker', 'src', 'main.js');

/**
 * Starts the compiled gpu-worker (`node dist/gpu-worker/src/main.js`) as a real process with only
 * the given environment (plus PATH and a log level), and resolves once it announces it is ready over
 * IPC. SWITCHYARD_TEST_LOGS=1 shows its output. The caller stops it (`child.stop()`).
 */
export async function startGpuWorker(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ManagedChild> {
  const root = projectRoot();
  if (
    !existsSync(join(root, MAIN)) ||
    !existsSync(join(root, 'dist', 'gpu-worker', 'src', 'production', 'production-worker.js'))
  ) {
    throw new Error('dist/ is missing or stale: run `npm test` (it builds first) or `npm run build`');
  }
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const child = spawnManaged('gpu-worker', process.execPath, [MAIN], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LOG_LEVEL: process.env.SWITCHYARD_TEST_LOGS ? 'debug' : 'warn',
      SWITCHYARD_DEVICE: 'cpu',
      ONNXRUNTIME_NODE_INSTALL: 'skip',
      ...env,
    },
    quiet: !process.env.SWITCHYARD_TEST_LOGS,
    onMessage: (message) => {
      if (message === READY_MESSAGE) markReady();
    },
  });
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    child.exited.then((e) => `exited with ${e.code ?? e.signal}` as const),
    sleep(readyTimeoutMs, undefined, { ref: false }).then(() => 'timed out' as const),
  ]);
  if (outcome !== 'ready') {
    await child.stop(1000);
    throw new Error(`gpu-worker did not start: ${outcome}`);
  }
  return child;
}

/** Whether any process of the child's process group is still alive (spawnManaged puts each child in its own group). */
export function processGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
