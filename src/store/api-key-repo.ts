import type { SupabaseClient } from '@supabase/supabase-js';
import { unwrap } from './database-error';

/** API keys are stored as sha256 hashes; the tenant of a live (not revoked) key, if any. */
export class ApiKeyRepo {
  constructor(private readonly db: SupabaseClient) {}

  async tenantOf(keyHash: string): Promise<string | undefined> {
    const rows = unwrap<Array<{ tenant_id: string }>>(
      'select api_keys',
      await this.db.from('api_keys').select('tenant_id').eq('key_hash', keyHash).is('revoked_at', null).limit(1),
    );
    return rows[0]?.tenant_id;
  }

  async create(tenantId: string, keyHash: string, name: string): Promise<void> {
    unwrap(
      'upsert tenants',
      await this.db.from('tenants').upsert({ id: tenantId, name: tenantId }, { onConflict: 'id', ignoreDuplicates: true }),
    );
    unwrap('insert api_keys', await this.db.from('api_keys').insert({ tenant_id: tenantId, key_hash: keyHash, name }));
  }
}
