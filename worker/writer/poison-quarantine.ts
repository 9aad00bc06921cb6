import type { Clock } from '../../src/core/clock';
import type { StreamEntry } from './stream-entry';

/** An event the database refused on its own (found by halving a rejected batch), held for another try. */
export interface Suspect {
  entry: StreamEntry;
  /** Rejections so far. */
  attempts: number;
  /** The database's last reason. */
  reason: string;
  /** Epoch ms of the next try. */
  dueAt: number;
}

export interface QuarantineOptions {
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Suspects held at most; while full the writer reads nothing new, so memory stays bounded. */
  capacity: number;
}

/** What a rejection means for a suspect. */
export enum SuspectVerdict {
  /** Held for another try after a backoff. */
  Retry = 'retry',
  /** Out of attempts: it goes to the dead letters (and is no longer held). */
  DeadLetter = 'dead-letter',
}

/**
 * Suspected poison events, each retried alone with backoff until it is written or has been
 * rejected maxAttempts times. They wait here, still pending in the stream, while the writer goes on
 * with newer events, so one bad event never holds up the rest. Pure: the clock is injected.
 */
export class PoisonQuarantine {
  private readonly suspects = new Map<string, Suspect>();

  constructor(
    private readonly options: QuarantineOptions,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.suspects.size;
  }

  get full(): boolean {
    return this.suspects.size >= this.options.capacity;
  }

  ids(): string[] {
    return [...this.suspects.keys()];
  }

  /** Records that the database refused `entry` alone. */
  rejected(entry: StreamEntry, reason: string): { verdict: SuspectVerdict; attempts: number } {
    const attempts = (this.suspects.get(entry.id)?.attempts ?? 0) + 1;
    if (attempts >= this.options.maxAttempts) {
      this.suspects.delete(entry.id);
      return { verdict: SuspectVerdict.DeadLetter, attempts };
    }
    this.suspects.set(entry.id, { entry, attempts, reason, dueAt: this.clock.now() + this.backoffMs(attempts) });
    return { verdict: SuspectVerdict.Retry, attempts };
  }

  /** The database was away when a suspect's turn came: try again later, without counting it against the event. */
  postpone(id: string): void {
    const s = this.suspects.get(id);
    if (s) s.dueAt = this.clock.now() + this.backoffMs(s.attempts);
  }

  /** Written at last (or settled elsewhere): no longer held. */
  release(id: string): void {
    this.suspects.delete(id);
  }

  /** Suspects whose next try is due, oldest first. */
  due(): Suspect[] {
    const now = this.clock.now();
    return [...this.suspects.values()].filter((s) => s.dueAt <= now);
  }

  /** Ms until the next try is due (0 when one is due now, Infinity when none is held). */
  nextDueInMs(): number {
    let next = Infinity;
    for (const s of this.suspects.values()) next = Math.min(next, s.dueAt);
    return Math.max(0, next - this.clock.now());
  }

  private backoffMs(attempts: number): number {
    return Math.min(this.options.retryInitialMs * 2 ** (attempts - 1), this.options.retryMaxMs);
  }
}
