import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { READY_MESSAGE } from '../lifecycle';
import { projectRoot } from '../paths';
import { spawnManaged, type ManagedChild } from './child-process';
import { prepareDatabase } from './database-setup';
import { freePort } from './free-port';
import { startPostgrest } from './postgrest-process';

export interface StackOptions {
  /** Superuser URL of the cluster's maintenance database. @defaultValue postgres://postgres@127.0.0.1:5432/postgres */
  adminUrl: string;
  /** @defaultValue switchyard */
  database: string;
  redisUrl: string;
  redisPrefix: string;
  /** API port; 0 picks a free one. */
  apiPort: number;
  /** 0 picks free ones. */
  postgrestPort: number;
  gpuWorkerPort: number;
  jwtSecret: string;
  bootstrapKey: string;
  runpodApiKey: string;
  /** Worker processes. @defaultValue 1 */
  workers: number;
  /** Writer processes. @defaultValue 1 */
  writers: number;
  /** Extra environment for every child (LOG_LEVEL, BLOCK_CONCURRENCY, ...). */
  env: Record<string, string>;
  /** Extra environment per process kind. */
  envFor?: Partial<Record<StackProcess, Record<string, string>>>;
  /** Do not forward children's output. */
  quiet: boolean;
  /** @defaultValue 60000 */
  readyTimeoutMs: number;
}

/** The processes a stack runs besides PostgREST. */
export enum StackProcess {
  Api = 'api',
  Worker = 'worker',
  Writer = 'writer',
  GpuWorker = 'gpu-worker',
}

const ENTRY: Record<StackProcess, string> = {
  [StackProcess.Api]: 'dist/src/api/main.js',
  [StackProcess.Worker]: 'dist/worker/main.js',
  [StackProcess.Writer]: 'dist/worker/writer/main.js',
  [StackProcess.GpuWorker]: 'dist/gpu-worker/src/main.js',
};

export interface RunningStack {
  apiUrl: string;
  wsUrl: string;
  bootstrapKey: string;
  runpodEndpointUrl: string;
  runpodApiKey: string;
  supabaseUrl: string;
  jwtSecret: string;
  options: StackOptions;
  children: Map<string, ManagedChild>;
  /** Starts one more process of a kind (e.g. a worker after a kill); resolves once it is ready. */
  spawn(kind: StackProcess, name?: string): Promise<ManagedChild>;
  /** Stops PostgREST (as an outage would), leaving everything else running. */
  stopPostgrest(): Promise<void>;
  /** Starts PostgREST again on the same port; resolves once it is ready. */
  startPostgrest(): Promise<void>;
  /** Stops every process, the last-started first, PostgREST last. */
  stop(): Promise<void>;
}

export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The whole Switchyard stack on one machine: prepares PostgreSQL as a Supabase project, then runs
 * PostgREST, the gpu-worker (local RunPod endpoint), the writer(s), the worker(s) and the API as
 * child processes wired to each other. `npm start` and the integration tests both use it; stopping
 * it stops every child and waits for them, so nothing is left behind.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const root = projectRoot();
  const children = new Map<string, ManagedChild>();
  const stopAll = async (): Promise<void> => {
    for (const child of [...children.values()].reverse()) await child.stop();
  };
  try {
    const authenticatorPassword = randomSecret();
    await prepareDatabase({
      adminUrl: options.adminUrl,
      database: options.database,
      authenticatorPassword,
      migrationsDir: join(root, 'supabase', 'migrations'),
    });
    const admin = new URL(options.adminUrl);
    const dbUri = `postgres://authenticator:${encodeURIComponent(authenticatorPassword)}@${admin.hostname}:${admin.port || 5432}/${options.database}`;
    const postgrestPort = options.postgrestPort || (await freePort());
    const postgrestOptions = {
      dbUri,
      jwtSecret: options.jwtSecret,
      port: postgrestPort,
      adminPort: await freePort(),
      quiet: options.quiet,
    };
    children.set('postgrest', await startPostgrest(postgrestOptions));

    const gpuPort = options.gpuWorkerPort || (await freePort());
    const apiPort = options.apiPort || (await freePort());
    const supabaseUrl = `http://127.0.0.1:${postgrestPort}`;
    const runpodEndpointUrl = `http://127.0.0.1:${gpuPort}/v2/switchyard`;
    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: process.env.NODE_ENV ?? 'production',
      REDIS_URL: options.redisUrl,
      SWITCHYARD_REDIS_PREFIX: options.redisPrefix,
      SUPABASE_URL: supabaseUrl,
      SUPABASE_DIRECT_POSTGREST: 'true',
      SUPABASE_JWT_SECRET: options.jwtSecret,
      RUNPOD_ENDPOINT_URL: runpodEndpointUrl,
      RUNPOD_API_KEY: options.runpodApiKey,
      SWITCHYARD_BOOTSTRAP_KEY: options.bootstrapKey,
      PORT: String(apiPort),
      GPU_WORKER_PORT: String(gpuPort),
      ...options.env,
    };
    let counter = 0;
    const spawn = async (kind: StackProcess, name = `${kind}-${++counter}`): Promise<ManagedChild> => {
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => {
        markReady = resolve;
      });
      const child = spawnManaged(name, process.execPath, [join(root, ENTRY[kind])], {
        cwd: root,
        env: { ...common, ...(options.envFor?.[kind] ?? {}) },
        quiet: options.quiet,
        onMessage: (message) => {
          if (message === READY_MESSAGE) markReady();
        },
      });
      children.set(name, child);
      const outcome = await Promise.race([
        ready.then(() => 'ready' as const),
        child.exited.then((e) => `exited with ${e.code ?? e.signal}` as const),
        sleep(options.readyTimeoutMs, undefined, { ref: false }).then(() => 'timed out' as const),
      ]);
      if (outcome !== 'ready') throw new Error(`${name} did not start: ${outcome}`);
      return child;
    };

    await spawn(StackProcess.GpuWorker, 'gpu-worker');
    await Promise.all([
      ...Array.from({ length: options.writers }, (_, i) => spawn(StackProcess.Writer, `writer-${i + 1}`)),
      ...Array.from({ length: options.workers }, (_, i) => spawn(StackProcess.Worker, `worker-${i + 1}`)),
    ]);
    await spawn(StackProcess.Api, 'api');
    return {
      apiUrl: `http://127.0.0.1:${apiPort}/graphql`,
      wsUrl: `ws://127.0.0.1:${apiPort}/graphql`,
      bootstrapKey: options.bootstrapKey,
      runpodEndpointUrl,
      runpodApiKey: options.runpodApiKey,
      supabaseUrl,
      jwtSecret: options.jwtSecret,
      options,
      children,
      spawn,
      stop: stopAll,
      stopPostgrest: async () => {
        await children.get('postgrest')?.stop();
      },
      startPostgrest: async () => {
        // Keeps its place first in the map, so a full stop still stops it last.
        children.set('postgrest', await startPostgrest(postgrestOptions));
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
