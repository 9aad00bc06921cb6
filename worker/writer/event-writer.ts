import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../src/core/clock';
import type { RunEvent } from '../../src/core/events';
import { LifecyclePhase } from '../../src/lifecycle';
import type { RedisKeys } from '../../src/redis/keys';
import { moveToDeadLetters, type DeadLetter } from './dead-letter';
import type { EventBatchStore } from './event-batch-store';
import { PoisonQuarantine, SuspectVerdict } from './poison-quarantine';
import { toStreamEntry, type RawStreamEntry, type StreamEntry } from './stream-entry';
import { inspectStream } from './stream-inspection';
import { WriteOutcomeKind } from './write-outcome';
import type { WriterOptions } from './writer-options';

export interface WriterMetrics {
  phase: LifecyclePhase;
  /** Event rows inserted (replays excluded). */
  eventsWritten: number;
  batchesWritten: number;
  /** Database requests made, failed ones included. */
  requests: number;
  /** Requests that did not store their batch (database away, or data refused). */
  writeFailures: number;
  deadLettered: number;
  /** Entries taken over from writers that stopped answering. */
  claimed: number;
  /** Events the database refused alone, held for another try (see PoisonQuarantine). */
  suspects: number;
  /** Entries in the stream, i.e. not yet stored, at the last look. */
  streamLength: number;
  /** Entries read by some writer and not yet acknowledged, at the last look. */
  pending: number;
  /** Age of the oldest event not yet stored, at the last look (ms). */
  lagMs: number;
  /** Whether the stream was past `backpressureLength` at the last look. */
  backpressure: boolean;
  /** Epoch ms of the last look at the stream. */
  inspectedAt: number;
}

/** A started batch reads again at most this often, however fast events come... */
const GATHER_MIN_MS = 2;
/** ...and at least this often, so what arrives is taken into the batch (and off Redis) steadily. */
const GATHER_MAX_MS = 25;

const GROUP_EXISTS = /BUSYGROUP/;

const entryBytes = (entries: readonly StreamEntry[]): number => entries.reduce((n, e) => n + e.text.length, 0);

/**
 * The batching writer: the only process that writes runs, nodes and events to Supabase. It reads
 * the durable event stream in a consumer group (any number of writers share it), stores a batch
 * with one request (see EventBatchStore), and only then acknowledges and deletes its entries.
 * Up to maxInFlight batches are written at once; the order they commit in does not matter, since
 * stored state only moves forward by seq.
 *
 * - Database away: batches are retried with backoff and nothing more is read; the events wait in
 *   Redis, not in memory. Memory is bounded by maxInFlight batches (each at most maxBatchSize
 *   entries and about maxBatchBytes) plus the quarantine (at most maxBatchSize suspects).
 * - Data refused: the batch is halved until the events responsible stand alone; the rest is
 *   written, the suspects are retried alone with backoff and dead-lettered after maxAttempts.
 *   Entries that are no event at all are dead-lettered at once (parsing again cannot help).
 * - A dead writer: its entries are claimed (XAUTOCLAIM) once idle for claimIdleMs. A live one
 *   keeps what it holds by renewing its claim while it retries.
 * - stop(): stops reading, writes what was read, acknowledges it, returns.
 */
export class EventWriter {
  private phase: LifecyclePhase = LifecyclePhase.Starting;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  /** Blocking stream reads get a connection of their own, so they never hold up acks of batches in flight. */
  private reader: Redis | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Running average size of an entry's event text, to size reads so a batch overshoots maxBatchBytes little. */
  private entryBytesEstimate = 512;
  private lastClaimAt = -Infinity;
  private claimCursor = '0-0';
  private lastInspectAt = -Infinity;
  private readonly quarantine: PoisonQuarantine;
  private readonly stats: Omit<WriterMetrics, 'phase' | 'requests' | 'suspects'> = {
    eventsWritten: 0,
    batchesWritten: 0,
    writeFailures: 0,
    deadLettered: 0,
    claimed: 0,
    streamLength: 0,
    pending: 0,
    lagMs: 0,
    backpressure: false,
    inspectedAt: 0,
  };

  constructor(
    private readonly redis: Redis,
    private readonly store: EventBatchStore,
    private readonly keys: RedisKeys,
    private readonly options: WriterOptions,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.quarantine = new PoisonQuarantine(
      {
        maxAttempts: options.maxAttempts,
        retryInitialMs: options.retryInitialMs,
        retryMaxMs: options.retryMaxMs,
        capacity: options.maxBatchSize,
      },
      clock,
    );
  }

  metrics(): WriterMetrics {
    return { phase: this.phase, ...this.stats, requests: this.store.requests, suspects: this.quarantine.size };
  }

  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.eventStream(), this.options.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!GROUP_EXISTS.test((err as Error).message)) throw err;
    }
    this.reader = this.redis.duplicate();
    this.phase = LifecyclePhase.Running;
    this.loop = this.run();
    this.log.info({ consumer: this.options.consumer, group: this.options.group }, 'writer ready');
  }

  /** Stops reading, writes and acknowledges what was read, returns. */
  async stop(): Promise<void> {
    if (this.phase !== LifecyclePhase.Running) return;
    this.phase = LifecyclePhase.Draining;
    this.stopping.abort();
    await this.loop;
    await this.reader?.quit().catch(() => this.reader?.disconnect());
    this.phase = LifecyclePhase.Stopped;
    // Suspects stay pending in the stream; another writer claims them after claimIdleMs.
    this.log.info({ ...this.metrics(), suspectsLeft: this.quarantine.size }, 'writer stopped');
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.inspect();
        await this.retrySuspects();
        if (this.quarantine.full) {
          // Holding as many suspects as a batch: read nothing new until some are settled.
          await this.pause(Math.min(this.quarantine.nextDueInMs(), this.options.idleBlockMs));
          continue;
        }
        const entries = await this.collectBatch();
        if (entries.length > 0) this.launch(entries);
        while (this.inFlight.size >= this.options.maxInFlight) await Promise.race(this.inFlight);
      } catch (err) {
        // Redis trouble, most likely. What this writer read and did not store stays pending in the
        // stream and is claimed again after claimIdleMs (by this writer or another).
        if (this.stopped) break;
        this.log.error({ err }, 'writer loop error; continuing');
        await this.pause(this.options.retryInitialMs);
      }
    }
    // Stopping: what was read is being written; wait for it.
    await Promise.all(this.inFlight);
  }

  /** Writes a batch alongside the others in flight. */
  private launch(entries: StreamEntry[]): void {
    const settled: Promise<void> = this.settle(entries)
      .catch((err: unknown) => {
        // Redis trouble while acknowledging, most likely: the entries stay pending and are claimed again.
        this.log.error({ err, batch: entries.length }, 'batch not settled; its entries stay pending in the stream');
      })
      .finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
  }

  /**
   * Claimed entries first, then new ones, until the batch holds maxBatchSize entries or
   * maxBatchBytes, or maxBatchWaitMs have passed since its first entry was read.
   */
  private async collectBatch(): Promise<StreamEntry[]> {
    const batch = await this.claimStale();
    let bytes = this.measure(batch);
    let deadline = batch.length > 0 ? this.clock.now() + this.options.maxBatchWaitMs : undefined;
    while (batch.length < this.options.maxBatchSize && bytes < this.options.maxBatchBytes && !this.stopped) {
      if (deadline === undefined) {
        const read = await this.read(this.readCountFor(batch.length, bytes), this.options.idleBlockMs);
        // Nothing came while idle: return, so the loop can look at the stream, claims and suspects.
        if (read.length === 0) break;
        deadline = this.clock.now() + this.options.maxBatchWaitMs;
        batch.push(...read);
        bytes += this.measure(read);
        continue;
      }
      // The batch has begun: let events gather and take them in one read, rather than a blocking
      // read that wakes this process (and Redis) for every event. The pause is about how long the
      // rate seen since the batch began needs to fill it: GATHER_MAX_MS for a trickle (a few reads
      // a batch), a couple of ms in a flood (full batches without waiting out maxBatchWaitMs).
      const now = this.clock.now();
      const perMs = batch.length / Math.max(1, now - (deadline - this.options.maxBatchWaitMs));
      const toFill = (this.options.maxBatchSize - batch.length) / Math.max(perMs, 1e-6);
      const wait = Math.min(deadline - now, GATHER_MAX_MS, Math.max(GATHER_MIN_MS, toFill));
      if (wait > 0) await this.pause(wait);
      const read = await this.read(this.readCountFor(batch.length, bytes), undefined);
      batch.push(...read);
      bytes += this.measure(read);
      if (this.clock.now() >= deadline) break;
    }
    return batch;
  }

  /**
   * How many entries to ask for next: what fits in the batch by count and, at the entries' average
   * size so far, by bytes; at least one. Redis cannot cap a read by bytes, so this keeps a batch of
   * large events (node outputs with images) near maxBatchBytes instead of readCount of them.
   */
  private readCountFor(entries: number, bytes: number): number {
    const byBytes = Math.floor((this.options.maxBatchBytes - bytes) / this.entryBytesEstimate);
    return Math.max(1, Math.min(this.options.readCount, this.options.maxBatchSize - entries, byBytes));
  }

  private measure(entries: readonly StreamEntry[]): number {
    const bytes = entryBytes(entries);
    if (entries.length > 0) this.entryBytesEstimate = Math.max(1, 0.5 * this.entryBytesEstimate + (0.5 * bytes) / entries.length);
    return bytes;
  }

  /** Reads new entries; blocks up to `blockMs` when given, else returns at once. */
  private async read(count: number, blockMs: number | undefined): Promise<StreamEntry[]> {
    // Each block is at most idleBlockMs, so stop() never waits long for a read to come back.
    const connection = this.reader ?? this.redis;
    const stream = this.keys.eventStream();
    const { group, consumer } = this.options;
    const reply = (
      blockMs === undefined
        ? await connection.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '>')
        : await connection.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            count,
            'BLOCK',
            Math.max(1, Math.floor(blockMs)),
            'STREAMS',
            stream,
            '>',
          )
    ) as Array<[string, RawStreamEntry[]]> | null;
    return (reply?.[0]?.[1] ?? []).map(toStreamEntry);
  }

  /**
   * Takes over entries another writer read but did not acknowledge within claimIdleMs (it died).
   * The cursor walks the whole pending list across calls, so a dead writer's entries are found
   * even behind many that live writers hold.
   */
  private async claimStale(): Promise<StreamEntry[]> {
    if (this.clock.now() - this.lastClaimAt < this.options.claimIntervalMs) return [];
    this.lastClaimAt = this.clock.now();
    const [next, entries] = (await this.redis.xautoclaim(
      this.keys.eventStream(),
      this.options.group,
      this.options.consumer,
      this.options.claimIdleMs,
      this.claimCursor,
      'COUNT',
      this.readCountFor(0, 0),
    )) as [string, Array<RawStreamEntry | null>, string[]?];
    this.claimCursor = next;
    // Suspects are this writer's own, held on purpose; they are retried from the quarantine.
    const held = new Set(this.quarantine.ids());
    const claimed = entries.filter((e): e is RawStreamEntry => e !== null && !held.has(e[0])).map(toStreamEntry);
    if (claimed.length > 0) {
      this.stats.claimed += claimed.length;
      this.log.info({ count: claimed.length }, 'claimed entries of a writer that stopped answering');
    }
    return claimed;
  }

  /** Stores a batch, however long the database is away; returns when every entry is settled or the writer stops. */
  private async settle(entries: StreamEntry[]): Promise<void> {
    const unreadable = entries.filter((e) => e.event === undefined);
    if (unreadable.length > 0)
      await this.deadLetter(unreadable.map((entry) => ({ entry, reason: entry.problem ?? 'unreadable', attempts: 1 })));
    let left = entries.filter((e) => e.event !== undefined);
    let delayMs = this.options.retryInitialMs;
    while (left.length > 0) {
      const lastTry = this.stopped;
      const result = await this.writeOrIsolate(left);
      left = result.left;
      if (left.length === 0) return;
      if (lastTry) {
        this.log.warn(
          { batch: left.length, reason: result.reason },
          'stopping with a batch the database did not take; it stays in the stream for the next writer',
        );
        return;
      }
      // The database (or PostgREST) is away or overloaded: keep the batch, read nothing more, wait
      // and try again. Keep the claim on the entries fresh so no other writer takes them over.
      this.log.warn({ batch: left.length, retryInMs: delayMs, reason: result.reason }, 'batch write failed; retrying');
      await this.touch(left.map((e) => e.id)).catch((err: unknown) =>
        this.log.warn({ err }, 'could not renew the claim on a batch'),
      );
      await this.inspect().catch((err: unknown) => this.log.warn({ err }, 'could not inspect the stream'));
      await this.pause(delayMs);
      delayMs = Math.min(delayMs * 2, this.options.retryMaxMs);
    }
  }

  /**
   * Writes entries with one request. When the database refuses the data, halves the batch until
   * the events responsible stand alone, writing the rest; those go to the quarantine. Returns the
   * entries left unwritten because the database was away (none when all were settled), and why.
   */
  private async writeOrIsolate(entries: StreamEntry[]): Promise<{ left: StreamEntry[]; reason?: string }> {
    const parts = [entries];
    for (let part = parts.pop(); part !== undefined; part = parts.pop()) {
      const outcome = await this.store.write(part.map((e) => e.event as RunEvent));
      switch (outcome.kind) {
        case WriteOutcomeKind.Written:
          this.stats.eventsWritten += outcome.inserted;
          this.stats.batchesWritten += 1;
          await this.acknowledge(part.map((e) => e.id));
          break;
        case WriteOutcomeKind.Rejected: {
          this.stats.writeFailures += 1;
          const [single] = part;
          if (part.length === 1 && single) await this.suspect(single, outcome.reason);
          else {
            const half = Math.ceil(part.length / 2);
            parts.push(part.slice(half), part.slice(0, half));
          }
          break;
        }
        case WriteOutcomeKind.Unavailable:
          this.stats.writeFailures += 1;
          return { left: [part, ...parts].flat(), reason: outcome.code ? `${outcome.code}: ${outcome.reason}` : outcome.reason };
      }
    }
    return { left: [] };
  }

  /** The database refused `entry` alone: hold it for another try, or dead-letter it when out of attempts. */
  private async suspect(entry: StreamEntry, reason: string): Promise<void> {
    const { verdict, attempts } = this.quarantine.rejected(entry, reason);
    if (verdict === SuspectVerdict.DeadLetter) {
      await this.deadLetter([{ entry, reason: `the database rejected it ${attempts} times: ${reason}`, attempts }]);
    } else {
      this.log.warn({ id: entry.id, attempts, reason }, 'the database rejected an event; it will be retried alone');
    }
  }

  /** Retries the suspects whose time has come, each alone. */
  private async retrySuspects(): Promise<void> {
    for (const s of this.quarantine.due()) {
      if (this.stopped) return;
      const outcome = await this.store.write([s.entry.event as RunEvent]);
      switch (outcome.kind) {
        case WriteOutcomeKind.Written:
          this.quarantine.release(s.entry.id);
          this.stats.eventsWritten += outcome.inserted;
          this.stats.batchesWritten += 1;
          await this.acknowledge([s.entry.id]);
          break;
        case WriteOutcomeKind.Rejected:
          this.stats.writeFailures += 1;
          await this.suspect(s.entry, outcome.reason);
          break;
        case WriteOutcomeKind.Unavailable:
          // Not the event's fault: no attempt counted; the next batch will wait for the database.
          this.stats.writeFailures += 1;
          for (const other of this.quarantine.due()) this.quarantine.postpone(other.entry.id);
          return;
      }
    }
  }

  private async acknowledge(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const stream = this.keys.eventStream();
    // Deleting stored entries keeps the stream as long as the backlog, not the history.
    const replies =
      (await this.redis
        .multi()
        .xack(stream, this.options.group, ...ids)
        .xdel(stream, ...ids)
        .exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
  }

  /** Resets the idle time of entries this writer holds, so that XAUTOCLAIM elsewhere leaves them alone. */
  private async touch(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.xclaim(this.keys.eventStream(), this.options.group, this.options.consumer, 0, ...ids, 'JUSTID');
  }

  private async deadLetter(letters: DeadLetter[]): Promise<void> {
    const moved = await moveToDeadLetters(this.redis, this.keys, this.options.group, letters);
    this.stats.deadLettered += moved;
    this.log.error(
      { letters: letters.map((l) => ({ id: l.entry.id, reason: l.reason, attempts: l.attempts })), moved },
      'events moved to the dead-letter stream',
    );
  }

  /** Refreshes length, pending and lag; says so when the stream grows past the backpressure mark. */
  private async inspect(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastInspectAt < this.options.inspectIntervalMs) return;
    this.lastInspectAt = now;
    const backlog = await inspectStream(this.redis, this.keys, this.options.group, now);
    // Suspects are held on purpose; keep another writer from claiming them while they wait.
    await this.touch(this.quarantine.ids());
    const over = backlog.length > this.options.backpressureLength;
    if (over && !this.stats.backpressure) {
      this.log.warn(
        { length: backlog.length, limit: this.options.backpressureLength, lagMs: backlog.lagMs, pending: backlog.pending },
        'backpressure: the event stream is past its limit, writers are behind (nothing is dropped)',
      );
    } else if (!over && this.stats.backpressure) {
      this.log.info(
        { length: backlog.length, lagMs: backlog.lagMs },
        'backpressure over: the event stream is back under its limit',
      );
    }
    Object.assign(this.stats, {
      streamLength: backlog.length,
      pending: backlog.pending,
      lagMs: backlog.lagMs,
      backpressure: over,
      inspectedAt: now,
    });
  }

  /** Waits, but not past stop(). */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}
