import type { SupabaseClient } from '@supabase/supabase-js';
import type { WorkflowView } from './views';
import { afterCursorFilter, type Cursor } from './pagination';
import { unwrap } from './database-error';

interface WorkflowRow {
  id: string;
  tenant_id: string;
  name: string;
  version: number;
  definition: unknown;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id,tenant_id,name,version,definition,created_at,updated_at';

function toView(r: WorkflowRow): WorkflowView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    version: r.version,
    definition: r.definition,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** Workflows and their versions in Supabase. Creation and updates are Postgres functions, so each is one transaction. */
export class WorkflowRepo {
  constructor(private readonly db: SupabaseClient) {}

  async create(id: string, tenantId: string, name: string, definition: unknown): Promise<WorkflowView> {
    const rows = unwrap<WorkflowRow[]>(
      'create_workflow',
      await this.db.rpc('create_workflow', { p_id: id, p_tenant: tenantId, p_name: name, p_definition: definition }),
    );
    return toView(rows[0] as WorkflowRow);
  }

  /** The new version, or undefined when the tenant has no such workflow. */
  async update(id: string, tenantId: string, name: string | null, definition: unknown): Promise<WorkflowView | undefined> {
    const rows = unwrap<WorkflowRow[]>(
      'update_workflow',
      await this.db.rpc('update_workflow', { p_id: id, p_tenant: tenantId, p_name: name, p_definition: definition ?? null }),
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** For DataLoader: the workflows with these ids (any tenant; callers check). */
  async getMany(ids: readonly string[]): Promise<WorkflowView[]> {
    if (ids.length === 0) return [];
    const rows = unwrap<WorkflowRow[]>(
      'select workflows',
      await this.db
        .from('workflows')
        .select(COLUMNS)
        .in('id', [...ids]),
    );
    return rows.map(toView);
  }

  async list(tenantId: string, limit: number, after: Cursor | undefined): Promise<WorkflowView[]> {
    let q = this.db.from('workflows').select(COLUMNS).eq('tenant_id', tenantId);
    if (after) q = q.or(afterCursorFilter(after));
    const rows = unwrap<WorkflowRow[]>(
      'list workflows',
      await q.order('created_at', { ascending: false }).order('id', { ascending: false }).limit(limit),
    );
    return rows.map(toView);
  }
}
