import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';

export interface DatabaseSetupOptions {
  /** A superuser connection to the cluster's maintenance database (local stack: postgres@127.0.0.1/postgres). */
  adminUrl: string;
  /** The database to create (if missing) and migrate. */
  database: string;
  /** Password of the `authenticator` role PostgREST logs in as. */
  authenticatorPassword: string;
  /** Folder of `<timestamp>_<name>.sql` files, applied in name order. */
  migrationsDir: string;
}

/** Any constant serves; it only has to be the same for every process preparing this cluster. */
const SETUP_LOCK = 727_001;

/**
 * Makes a PostgreSQL cluster look like a Supabase project to PostgREST and supabase-js: Supabase's
 * roles, the database, and every migration under supabase/migrations applied once, in order. Safe to
 * run concurrently (an advisory lock serialises it) and again (it does only what is missing).
 */
export async function prepareDatabase(options: DatabaseSetupOptions): Promise<{ applied: string[] }> {
  const admin = new Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock($1)', [SETUP_LOCK]);
    await ensureRoles(admin, options.authenticatorPassword);
    const exists = await admin.query('select 1 from pg_database where datname = $1', [options.database]);
    if (exists.rowCount === 0) await admin.query(`create database ${quoteIdent(options.database)}`);

    const dbUrl = new URL(options.adminUrl);
    dbUrl.pathname = `/${options.database}`;
    const db = new Client({ connectionString: dbUrl.toString() });
    await db.connect();
    try {
      return { applied: await applyMigrations(db, options.migrationsDir) };
    } finally {
      await db.end();
    }
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [SETUP_LOCK]).catch(() => undefined);
    await admin.end();
  }
}

/** Drops a database (tests use one of their own). */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${quoteIdent(database)} with (force)`);
  } finally {
    await admin.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function ensureRoles(admin: Client, password: string): Promise<void> {
  const roles: Array<[string, string]> = [
    ['anon', 'nologin'],
    ['authenticated', 'nologin'],
    ['service_role', 'nologin bypassrls'],
    ['authenticator', 'login noinherit'],
  ];
  for (const [role, attributes] of roles) {
    const found = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
    if (found.rowCount === 0) await admin.query(`create role ${role} ${attributes}`);
  }
  // PostgreSQL takes no bind parameter in ALTER ROLE; the literal is escaped instead.
  await admin.query(`alter role authenticator with login noinherit password '${password.replace(/'/g, "''")}'`);
  await admin.query('grant anon, authenticated, service_role to authenticator');
}

async function applyMigrations(db: Client, dir: string): Promise<string[]> {
  // In a schema PostgREST does not expose: the list of migrations is nobody's business but ours.
  await db.query('create schema if not exists switchyard_meta');
  await db.query('revoke all on schema switchyard_meta from public');
  await db.query(`create table if not exists switchyard_meta.migrations (
    name text primary key, applied_at timestamptz not null default now())`);
  const done = new Set((await db.query<{ name: string }>('select name from switchyard_meta.migrations')).rows.map((r) => r.name));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const sql = await readFile(join(dir, file), 'utf8');
    await db.query('begin');
    try {
      await db.query(sql);
      await db.query('insert into switchyard_meta.migrations (name) values ($1)', [file]);
      await db.query('commit');
    } catch (err) {
      await db.query('rollback');
      throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
    }
    applied.push(file);
  }
  // PostgREST caches the schema; tell it to reload after a change.
  if (applied.length > 0) await db.query("notify pgrst, 'reload schema'");
  return applied;
}
