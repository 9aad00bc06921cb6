-- Functions the API and the writer call through PostgREST (supabase-js .rpc()). Each runs in one
-- transaction, so a workflow and its version row, or a whole batch of events, land together or not.

insert into public.tenants (id, name) values ('default', 'Default tenant') on conflict (id) do nothing;

-- Creates a workflow at version 1 and records that version.
create or replace function public.create_workflow(p_id uuid, p_tenant text, p_name text, p_definition jsonb)
returns setof public.workflows
language plpgsql
as $$
begin
  insert into public.tenants (id, name) values (p_tenant, p_tenant) on conflict (id) do nothing;
  insert into public.workflows (id, tenant_id, name, version, definition)
    values (p_id, p_tenant, p_name, 1, p_definition);
  insert into public.workflow_versions (workflow_id, version, tenant_id, name, definition)
    values (p_id, 1, p_tenant, p_name, p_definition);
  return query select * from public.workflows where id = p_id;
end $$;

-- Stores a new version (version + 1) of a tenant's workflow; returns nothing when there is no such
-- workflow for that tenant. The row lock taken by UPDATE serialises concurrent updates.
create or replace function public.update_workflow(p_id uuid, p_tenant text, p_name text, p_definition jsonb)
returns setof public.workflows
language plpgsql
as $$
declare w public.workflows;
begin
  update public.workflows
     set version = version + 1,
         name = coalesce(p_name, name),
         definition = coalesce(p_definition, definition),
         updated_at = now()
   where id = p_id and tenant_id = p_tenant
  returning * into w;
  if not found then return; end if;
  insert into public.workflow_versions (workflow_id, version, tenant_id, name, definition)
    values (w.id, w.version, w.tenant_id, w.name, w.definition);
  return next w;
end $$;

-- Applies one batch of events, already folded per run and per node by the writer:
--   p_events: every event row; (run_id, seq) is the key, so a replayed event is inserted once.
--   p_runs:   one patch per run. Metadata fills gaps only; the status group (status, outputs,
--             error, finished_at) is taken from the patch only when its status_seq is newer, so
--             an older event arriving after a newer one never moves a run backwards.
--   p_nodes:  one patch per node, guarded the same way; attempts and started_at only grow.
-- Returns the number of event rows inserted (replays insert none).
create or replace function public.apply_event_batch(p_runs jsonb, p_nodes jsonb, p_events jsonb)
returns integer
language plpgsql
as $$
declare inserted integer;
begin
  insert into public.run_events (run_id, seq, tenant_id, type, node_id, attempt, progress, output, error, data, at)
    select run_id, seq, tenant_id, type, node_id, attempt, progress, output, error, data, at
      from jsonb_to_recordset(p_events) as e(run_id uuid, seq integer, tenant_id text, type text, node_id text,
           attempt integer, progress real, output jsonb, error jsonb, data jsonb, at timestamptz)
    on conflict (run_id, seq) do nothing;
  get diagnostics inserted = row_count;

  insert into public.runs as r (id, tenant_id, workflow_id, workflow_version, status, inputs, outputs, error,
                                priority, created_at, started_at, finished_at, last_seq, status_seq, updated_at)
    select id, tenant_id, workflow_id, workflow_version, coalesce(status, 'QUEUED'), inputs, outputs, error,
           priority, created_at, started_at, finished_at, last_seq, coalesce(status_seq, 0), now()
      from jsonb_to_recordset(p_runs) as p(id uuid, tenant_id text, workflow_id uuid, workflow_version integer,
           status text, inputs jsonb, outputs jsonb, error jsonb, priority integer, created_at timestamptz,
           started_at timestamptz, finished_at timestamptz, last_seq integer, status_seq integer)
    on conflict (id) do update set
      workflow_id = coalesce(r.workflow_id, excluded.workflow_id),
      workflow_version = coalesce(r.workflow_version, excluded.workflow_version),
      inputs = coalesce(r.inputs, excluded.inputs),
      created_at = coalesce(r.created_at, excluded.created_at),
      -- priority comes with RUN_QUEUED only; the newest one that carries it wins
      priority = case when excluded.priority is not null and excluded.status_seq >= r.status_seq then excluded.priority
                      else coalesce(r.priority, excluded.priority) end,
      started_at = least(r.started_at, excluded.started_at),
      status = case when excluded.status_seq > r.status_seq then excluded.status else r.status end,
      outputs = case when excluded.status_seq > r.status_seq then excluded.outputs else r.outputs end,
      error = case when excluded.status_seq > r.status_seq then excluded.error else r.error end,
      finished_at = case when excluded.status_seq > r.status_seq then excluded.finished_at else r.finished_at end,
      status_seq = greatest(r.status_seq, excluded.status_seq),
      last_seq = greatest(r.last_seq, excluded.last_seq),
      updated_at = now();

  insert into public.run_nodes as n (run_id, node_id, tenant_id, block, position, status, attempts, progress, output, error,
                                     started_at, finished_at, last_seq, status_seq)
    select run_id, node_id, tenant_id, block, position, coalesce(status, 'PENDING'), coalesce(attempts, 0), progress, output,
           error, started_at, finished_at, last_seq, coalesce(status_seq, 0)
      from jsonb_to_recordset(p_nodes) as p(run_id uuid, node_id text, tenant_id text, block text, position integer, status text,
           attempts integer, progress real, output jsonb, error jsonb, started_at timestamptz,
           finished_at timestamptz, last_seq integer, status_seq integer)
    on conflict (run_id, node_id) do update set
      block = coalesce(n.block, excluded.block),
      position = coalesce(n.position, excluded.position),
      attempts = greatest(n.attempts, excluded.attempts),
      started_at = greatest(n.started_at, excluded.started_at),
      status = case when excluded.status_seq > n.status_seq then excluded.status else n.status end,
      progress = case when excluded.status_seq > n.status_seq then excluded.progress else n.progress end,
      output = case when excluded.status_seq > n.status_seq then excluded.output else n.output end,
      error = case when excluded.status_seq > n.status_seq then excluded.error else n.error end,
      finished_at = case when excluded.status_seq > n.status_seq then excluded.finished_at else n.finished_at end,
      status_seq = greatest(n.status_seq, excluded.status_seq),
      last_seq = greatest(n.last_seq, excluded.last_seq);

  return inserted;
end $$;

grant execute on function public.create_workflow(uuid, text, text, jsonb) to service_role;
grant execute on function public.update_workflow(uuid, text, text, jsonb) to service_role;
grant execute on function public.apply_event_batch(jsonb, jsonb, jsonb) to service_role;
revoke execute on function public.create_workflow(uuid, text, text, jsonb) from public, anon, authenticated;
revoke execute on function public.update_workflow(uuid, text, text, jsonb) from public, anon, authenticated;
revoke execute on function public.apply_event_batch(jsonb, jsonb, jsonb) from public, anon, authenticated;
