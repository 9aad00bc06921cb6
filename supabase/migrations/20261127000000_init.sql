-- Switchyard's tables, as a Supabase project holds them. The API writes workflows; the batching
-- writer is the only writer of runs, nodes and events. Every row has a tenant_id, and Row Level
-- Security lets a client with a user's JWT (claim "tenant_id") read only its tenant's rows; the
-- API and the writer use the service role, which bypasses RLS.

set client_min_messages = warning;

create schema if not exists switchyard;

-- The tenant of the JWT PostgREST verified for this request; null without one. Works on Supabase
-- (same request.jwt.claims setting) and on a bare PostgREST.
create or replace function switchyard.jwt_tenant() returns text
language sql stable
as $$
  select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'tenant_id'
$$;

create table if not exists public.tenants (
  id text primary key,
  name text not null,
  created_at timestamptz not null default now()
);

create table if not exists public.api_keys (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references public.tenants (id) on delete cascade,
  -- sha256 of the key, hex; the key itself is never stored
  key_hash text not null unique,
  name text not null default '',
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table if not exists public.workflows (
  id uuid primary key,
  tenant_id text not null references public.tenants (id) on delete cascade,
  name text not null,
  version integer not null default 1,
  definition jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists workflows_tenant_created on public.workflows (tenant_id, created_at desc, id desc);

create table if not exists public.workflow_versions (
  workflow_id uuid not null references public.workflows (id) on delete cascade,
  version integer not null,
  tenant_id text not null,
  name text not null,
  definition jsonb not null,
  created_at timestamptz not null default now(),
  primary key (workflow_id, version)
);

-- Runs and nodes are created from events, possibly out of order (several writers, replays):
-- columns other than the key may arrive after later events, so they are nullable, and every
-- update is guarded by last_seq so state never goes backwards.
create table if not exists public.runs (
  id uuid primary key,
  tenant_id text not null,
  workflow_id uuid,
  workflow_version integer,
  status text not null,
  inputs jsonb,
  outputs jsonb,
  error jsonb,
  -- known from RUN_QUEUED; null until the writer has seen it
  priority integer,
  created_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- seq of the newest event reflected in the row, and of the newest run-level (status) event
  last_seq integer not null default 0,
  status_seq integer not null default 0,
  updated_at timestamptz not null default now()
);
create index if not exists runs_tenant_created on public.runs (tenant_id, created_at desc, id desc);
create index if not exists runs_workflow_created on public.runs (workflow_id, created_at desc, id desc);

create table if not exists public.run_nodes (
  run_id uuid not null,
  node_id text not null,
  tenant_id text not null,
  block text,
  -- index of the node in its definition, for listing nodes in definition order
  position integer,
  status text not null,
  attempts integer not null default 0,
  progress real,
  output jsonb,
  error jsonb,
  started_at timestamptz,
  finished_at timestamptz,
  last_seq integer not null default 0,
  status_seq integer not null default 0,
  primary key (run_id, node_id)
);

create table if not exists public.run_events (
  run_id uuid not null,
  seq integer not null,
  tenant_id text not null,
  type text not null,
  node_id text,
  attempt integer,
  progress real,
  output jsonb,
  error jsonb,
  data jsonb,
  at timestamptz not null,
  primary key (run_id, seq)
);

alter table public.tenants enable row level security;
alter table public.api_keys enable row level security;
alter table public.workflows enable row level security;
alter table public.workflow_versions enable row level security;
alter table public.runs enable row level security;
alter table public.run_nodes enable row level security;
alter table public.run_events enable row level security;

do $$
declare t text;
begin
  foreach t in array array['workflows', 'workflow_versions', 'runs', 'run_nodes', 'run_events'] loop
    execute format('drop policy if exists tenant_read on public.%I', t);
    execute format('create policy tenant_read on public.%I for select to authenticated using (tenant_id = switchyard.jwt_tenant())', t);
  end loop;
end $$;
drop policy if exists tenant_read on public.tenants;
create policy tenant_read on public.tenants for select to authenticated using (id = switchyard.jwt_tenant());

grant usage on schema public, switchyard to anon, authenticated, service_role;
grant select on all tables in schema public to authenticated;
grant all on all tables in schema public to service_role;
grant execute on all functions in schema switchyard to anon, authenticated, service_role;
