import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { syntheticRuns } from '../../bench/writer/synthetic-runs';
import { startWriterHarness, type WriterHarness } from '../../bench/writer/writer-harness';
import { DatabaseRole, signDatabaseJwt } from '../../src/store/jwt';
import { EventBatchStore } from '../../worker/writer/event-batch-store';
import { WriteOutcomeKind } from '../../worker/writer/write-outcome';

const TABLES = ['runs', 'run_nodes', 'run_events'] as const;

/**
 * Row Level Security, through PostgREST as a Supabase client sees it: a user's JWT (role
 * authenticated, claim tenant_id) reads only its tenant's runs, nodes and events; the anon role
 * and a JWT without a tenant read nothing; only the service role (the writer's) writes.
 */
describe('row level security on runs, nodes and events', () => {
  let harness: WriterHarness;
  const acme = syntheticRuns(3, 20, { tenantId: 'acme' });
  const globex = syntheticRuns(2, 20, { tenantId: 'globex' });

  /** A supabase-js client as a browser would hold it: the project URL and one key, nothing else. */
  const clientWith = (key: string): SupabaseClient =>
    createClient(harness.supabaseUrl, key, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // A bare PostgREST serves /<table>, Supabase's gateway /rest/v1/<table>.
      global: { fetch: (input, init) => fetch(String(input).replace('/rest/v1/', '/'), init) },
    });
  const userClient = async (claims: Record<string, unknown>): Promise<SupabaseClient> =>
    clientWith(await signDatabaseJwt(harness.jwtSecret, DatabaseRole.Authenticated, { sub: 'user-1', ...claims }, '1h'));

  beforeAll(async () => {
    harness = await startWriterHarness('wrls');
    // Stored the way the writer stores them: the service role, one batch.
    const store = new EventBatchStore(await harness.serviceClient(), 10_000);
    const outcome = await store.write([...acme, ...globex].flatMap((r) => r.events));
    expect(outcome).toEqual({ kind: WriteOutcomeKind.Written, inserted: 100 });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it.each([
    ['acme', acme],
    ['globex', globex],
  ])('a user of %s reads its own tenant rows and no other', async (tenant, runs) => {
    const db = await userClient({ tenant_id: tenant });
    const ids = runs.map((r) => r.runId).sort();
    const { data: runRows, error } = await db.from('runs').select('id, tenant_id, status');
    expect(error).toBeNull();
    expect(runRows!.map((r) => r.id).sort()).toEqual(ids);
    expect(new Set(runRows!.map((r) => r.tenant_id))).toEqual(new Set([tenant]));

    const nodes = await db.from('run_nodes').select('run_id, tenant_id');
    expect(nodes.data).toHaveLength(runs.length * 4);
    expect(new Set(nodes.data!.map((n) => n.run_id))).toEqual(new Set(ids));
    const events = await db.from('run_events').select('run_id, seq', { count: 'exact' });
    expect(events.count).toBe(runs.length * 20);
    expect(new Set(events.data!.map((e) => e.run_id))).toEqual(new Set(ids));

    // Asking for another tenant's rows by name gets nothing either.
    const other = tenant === 'acme' ? globex : acme;
    const foreign = await db
      .from('runs')
      .select('id')
      .in(
        'id',
        other.map((r) => r.runId),
      );
    expect(foreign.error).toBeNull();
    expect(foreign.data).toEqual([]);
  });

  it('gives a JWT without a tenant nothing', async () => {
    const db = await userClient({});
    for (const table of TABLES) {
      const { data, error } = await db.from(table).select('*');
      expect(error).toBeNull();
      expect(data).toEqual([]);
    }
  });

  it('gives the anon role nothing', async () => {
    const db = clientWith(await signDatabaseJwt(harness.jwtSecret, DatabaseRole.Anon, {}, '1h'));
    for (const table of TABLES) {
      const { data, error } = await db.from(table).select('*');
      expect(data ?? []).toEqual([]);
      expect(error?.code).toBe('42501');
    }
  });

  it('lets only the service role write', async () => {
    const db = await userClient({ tenant_id: 'acme' });
    const run = acme[0]!;
    const insert = await db
      .from('runs')
      .insert({ id: '00000000-0000-4000-8000-0000000000aa', tenant_id: 'acme', status: 'QUEUED' });
    expect(insert.error?.code).toBe('42501');
    const update = await db.from('runs').update({ status: 'CANCELLED' }).eq('id', run.runId).select();
    expect(update.error?.code).toBe('42501');
    const rpc = await db.rpc('apply_event_batch', { p_runs: [], p_nodes: [], p_events: [] });
    expect(rpc.error?.code).toBe('42501');
    const status = (await harness.pg.query<{ status: string }>('select status from public.runs where id = $1', [run.runId]))
      .rows[0]?.status;
    expect(status).toBe(run.finalStatus);
  });
});
