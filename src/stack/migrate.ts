import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../config/env';
import { projectRoot } from '../paths';
import { prepareDatabase } from './database-setup';

/**
 * `node dist/src/stack/migrate.js`: prepares a PostgreSQL server as a Supabase project (roles,
 * database, migrations) and exits. docker-compose runs it once before PostgREST starts; against a
 * real Supabase project use `supabase db push` with supabase/migrations instead.
 */
async function main(): Promise<void> {
  const e = parseEnv(
    {
      DATABASE_ADMIN_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
      SWITCHYARD_DB: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/)
        .default('switchyard'),
      AUTHENTICATOR_PASSWORD: z.string().min(8),
    },
    process.env,
  );
  const { applied } = await prepareDatabase({
    adminUrl: e.DATABASE_ADMIN_URL,
    database: e.SWITCHYARD_DB,
    authenticatorPassword: e.AUTHENTICATOR_PASSWORD,
    migrationsDir: join(projectRoot(), 'supabase', 'migrations'),
  });
  console.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'database is up to date');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
