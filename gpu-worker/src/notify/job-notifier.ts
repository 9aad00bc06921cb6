import type { Redis } from 'ioredis';
import type { RunpodJobNotice } from '../../../src/runpod/protocol';

/** Where job progress and finished jobs are announced: Redis for the Switchyard worker's fast path, or nowhere. */
export interface JobNotifier {
  notify(notice: RunpodJobNotice): void;
  close(): Promise<void>;
}

export const noNotifier: JobNotifier = { notify: () => undefined, close: async () => undefined };

/**
 * Publishes each final job state, and throttled progress (`IN_PROGRESS`), on a Redis channel; a lost
 * publish only delays the worker's poll.
 */
export class RedisJobNotifier implements JobNotifier {
  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  notify(notice: RunpodJobNotice): void {
    this.redis.publish(this.channel, JSON.stringify(notice)).catch(this.onError);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
