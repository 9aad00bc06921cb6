import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisKeys } from './keys';
import { LuaScript, runScript } from './lua-scripts';

export interface BlockSlotsOptions {
  /** Global limit per block type, shared by every worker process; blocks not named are unlimited. */
  limits: ReadonlyMap<string, number>;
  /** A slot whose holder stops renewing it frees itself after this long. @defaultValue 15000 */
  slotTtlMs: number;
  /** How often a waiting node asks again. @defaultValue 25 */
  pollMs: number;
}

/** A held slot; release it when the execution ends. */
export interface SlotLease {
  release(): Promise<void>;
}

const NO_LIMIT: SlotLease = { release: async () => undefined };

/**
 * Global per-block concurrency limits (a counting semaphore in Redis). Slots expire unless renewed,
 * so a worker killed while holding one gives it back after `slotTtlMs`.
 */
export class BlockSlots {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: BlockSlotsOptions,
  ) {}

  limitOf(block: string): number | undefined {
    return this.options.limits.get(block);
  }

  /** Waits for a slot of `block` (at once when unlimited); rejects when `signal` aborts first. */
  async acquire(block: string, holder: string, signal: AbortSignal): Promise<SlotLease> {
    const limit = this.options.limits.get(block);
    if (limit === undefined) return NO_LIMIT;
    const key = this.keys.blockSlots(block);
    const take = async (): Promise<boolean> =>
      (await runScript(this.redis, LuaScript.AcquireSlot, [key], [holder, limit, this.options.slotTtlMs])) === 1;
    while (!(await take())) {
      await sleep(this.options.pollMs, undefined, { signal });
    }
    const renew = setInterval(
      () => {
        take().catch(() => undefined);
      },
      Math.max(50, Math.floor(this.options.slotTtlMs / 3)),
    );
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.redis.zrem(key, holder);
      },
    };
  }
}
