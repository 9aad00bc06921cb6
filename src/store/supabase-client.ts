import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { SupabaseOptions } from '../config/common-options';
import { DatabaseRole, signDatabaseJwt } from './jwt';

const REST_PREFIX = '/rest/v1';

/**
 * supabase-js addresses PostgREST as `<url>/rest/v1/<table>`, the path Supabase's gateway serves.
 * A bare PostgREST serves `/<table>`, so against the local stack the prefix is cut off here.
 */
function directPostgrestFetch(base: typeof fetch): typeof fetch {
  return (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    if (url.pathname.startsWith(REST_PREFIX)) url.pathname = url.pathname.slice(REST_PREFIX.length) || '/';
    return base(url, init);
  };
}

/** A supabase-js client with the service role: for the API's reads and writes and the writer's batches. */
export async function createServiceClient(options: SupabaseOptions, fetchImpl: typeof fetch = fetch): Promise<SupabaseClient> {
  const key = options.serviceRoleKey ?? (await signDatabaseJwt(options.jwtSecret as string, DatabaseRole.ServiceRole, {}, '10y'));
  return createClient(options.url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: options.directPostgrest ? directPostgrestFetch(fetchImpl) : fetchImpl },
  });
}
