import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { envInt, parseEnv } from '../config/env';
import { projectRoot } from '../paths';
import { randomSecret, startStack } from './stack';

interface LocalSecrets {
  jwtSecret: string;
  bootstrapKey: string;
  runpodApiKey: string;
}

/**
 * Secrets the local stack generates once and keeps in .cache/local-secrets.json (git-ignored), so
 * the printed API key stays valid across restarts. Environment variables win over them.
 */
function localSecrets(): LocalSecrets {
  const dir = join(projectRoot(), '.cache');
  const file = join(dir, 'local-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets = { jwtSecret: randomSecret(32), bootstrapKey: `sy_${randomSecret(24)}`, runpodApiKey: randomSecret(24) };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** `npm start`: the whole stack in the foreground; Ctrl-C stops all of it. */
async function main(): Promise<void> {
  const e = parseEnv(
    {
      PORT: envInt(4000, 0, 65_535),
      DATABASE_ADMIN_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
      SWITCHYARD_DB: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/)
        .default('switchyard'),
      REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
      SWITCHYARD_REDIS_PREFIX: z.string().default('sy:'),
      POSTGREST_PORT: envInt(54_321, 0, 65_535),
      GPU_WORKER_PORT: envInt(8010, 0, 65_535),
      WORKERS: envInt(1, 1, 64),
      WRITERS: envInt(1, 1, 16),
      SWITCHYARD_BOOTSTRAP_KEY: z.string().min(16).optional(),
      SUPABASE_JWT_SECRET: z.string().min(32).optional(),
      RUNPOD_API_KEY: z.string().optional(),
    },
    process.env,
  );
  const secrets = localSecrets();
  const passThrough = Object.fromEntries(
    ['LOG_LEVEL', 'BLOCK_CONCURRENCY', 'MAX_PARALLEL_NODES', 'WORKER_CONCURRENCY', 'SWITCHYARD_DEVICE', 'WARM_MODELS', 'HOST']
      .filter((k) => process.env[k] !== undefined)
      .map((k) => [k, process.env[k] as string]),
  );
  const stack = await startStack({
    adminUrl: e.DATABASE_ADMIN_URL,
    database: e.SWITCHYARD_DB,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.SWITCHYARD_REDIS_PREFIX,
    apiPort: e.PORT,
    postgrestPort: e.POSTGREST_PORT,
    gpuWorkerPort: e.GPU_WORKER_PORT,
    jwtSecret: e.SUPABASE_JWT_SECRET ?? secrets.jwtSecret,
    bootstrapKey: e.SWITCHYARD_BOOTSTRAP_KEY ?? secrets.bootstrapKey,
    runpodApiKey: e.RUNPOD_API_KEY ?? secrets.runpodApiKey,
    workers: e.WORKERS,
    writers: e.WRITERS,
    env: { LOG_LEVEL: 'info', ...passThrough },
    quiet: false,
    readyTimeoutMs: 120_000,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Switchyard...`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(
    [
      '',
      'Switchyard is running.',
      `  GraphQL (HTTP + WebSocket): ${stack.apiUrl}`,
      `  GraphiQL:                   ${stack.apiUrl}#key=${stack.bootstrapKey}`,
      `  API key:                    ${stack.bootstrapKey}`,
      `  Header:                     Authorization: Bearer ${stack.bootstrapKey}`,
      `  RunPod endpoint (local):    ${stack.runpodEndpointUrl}`,
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(`Switchyard could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
