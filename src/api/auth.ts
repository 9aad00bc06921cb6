import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { UnauthenticatedError } from '../core/errors';
import type { ApiKeyRepo } from '../store/api-key-repo';

/** The tenant `SWITCHYARD_BOOTSTRAP_KEY` belongs to. */
export const DEFAULT_TENANT = 'default';

export interface Principal {
  tenantId: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Reads the key out of `Bearer <key>`; undefined for anything else. */
export function bearerKey(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * API keys to tenants. The bootstrap key is compared in constant time; other keys are looked up by
 * their sha256 in `api_keys`, and the answer (yes or no) cached briefly so that a subscription storm
 * does not become a database storm.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new LRUCache<string, { tenantId: string | null }>({ max: 10_000, ttl: 60_000 });
  private readonly bootstrap: Buffer | undefined;

  constructor(
    bootstrapKey: string | undefined,
    private readonly keys: ApiKeyRepo,
  ) {
    this.bootstrap = bootstrapKey ? Buffer.from(hashApiKey(bootstrapKey), 'hex') : undefined;
  }

  /** The principal of an `Authorization` header value; throws UNAUTHENTICATED when there is none. */
  async authenticate(authorization: unknown): Promise<Principal> {
    const key = bearerKey(authorization);
    if (!key) throw new UnauthenticatedError();
    const hash = hashApiKey(key);
    if (this.bootstrap && timingSafeEqual(this.bootstrap, Buffer.from(hash, 'hex'))) return { tenantId: DEFAULT_TENANT };
    let hit = this.cache.get(hash);
    if (!hit) {
      hit = { tenantId: (await this.keys.tenantOf(hash)) ?? null };
      this.cache.set(hash, hit);
    }
    if (hit.tenantId === null) throw new UnauthenticatedError('unknown or revoked API key');
    return { tenantId: hit.tenantId };
  }
}
