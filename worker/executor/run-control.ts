import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../src/redis/keys';

/**
 * Delivers cancel requests to the executor driving a run. One pattern subscription per worker
 * process serves every run it drives; the executor also re-reads the flag on each lease renewal,
 * so a lost message delays a cancel by a third of the lease at most.
 */
export class RunControl {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly pattern: string;

  constructor(
    private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.pattern = keys.runControlChannel('*');
  }

  async start(): Promise<void> {
    this.subscriber.on('pmessage', (pattern: string, channel: string) => {
      if (pattern !== this.pattern) return;
      const runId = channel.slice(this.keys.runControlChannel('').length);
      for (const l of this.listeners.get(runId) ?? []) l();
    });
    await this.subscriber.psubscribe(this.pattern);
  }

  async stop(): Promise<void> {
    await this.subscriber.punsubscribe(this.pattern).catch(() => undefined);
  }

  /** Calls `listener` when a cancel for `runId` arrives; returns the function that stops listening. */
  async onCancel(runId: string, listener: () => void): Promise<() => void> {
    const set = this.listeners.get(runId) ?? new Set();
    set.add(listener);
    this.listeners.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }
}
