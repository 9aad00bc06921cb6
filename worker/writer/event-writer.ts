import type { SupabaseClient } from '@supabase/supabase-js';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { parseRunEvent, type RunEvent } from '../../src/core/events';
import { LifecyclePhase } from '../../src/lifecycle';
import type { RedisKeys } from '../../src/redis/keys';
import { foldEventBatch } from '../../src/store/event-batch';
import type { WriterOptions } from './writer-options';

/** One stream entry: its id and the event it carries (or why it could not be read). */
interface Entry {
  id: string;
  event: RunEvent | undefined;
  problem: string | undefined;
}

export interface WriterMetrics {
  phase: LifecyclePhase;
  /** Events stored (rows inserted, replays excluded). */
  eventsWritten: number;
  batchesWritten: number;
  /** Database requests made (one per batch attempt). */
  requests: number;
  writeFailures: number;
  deadLettered: number;
  /** Entries in the stream not yet acknowledged by any writer, at the last look. */
  pending: number;
  /** Entries in the stream (written or not) at the last look. */
  streamLength: number;
  /** Whether the stream is past `backpressureLength`. */
  backpressure: boolean;
}

const GROUP_EXISTS = /BUSYGROUP/;

/**
 * The batching writer: the only process that writes runs, nodes and events to Supabase. It reads
 * the durable event stream in a consumer group (any number of writers share it), folds a batch
 * into one row per event and one patch per run and node, stores it with one PostgREST request
 * (apply_event_batch, replay-safe and never regressing state), and only then acknowledges and
 * deletes the entries. When the database is down it retries with backoff and reads nothing more:
 * the events wait in Redis, not in memory. Entries a dead writer held are claimed after
 * `claimIdleMs`. An event that cannot be stored after `maxAttempts` goes to the dead-letter stream.
 */
export class EventWriter {
  private phase: LifecyclePhase = LifecyclePhase.Starting;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private lastClaimAt = 0;
  private lastInspectAt = 0;
  private readonly attempts = new Map<string, number>();
  private readonly stats: Omit<WriterMetrics, 'phase'> = {
    eventsWritten: 0,
    batchesWritten: 0,
    requests: 0,
    writeFailures: 0,
    deadLettered: 0,
    pending: 0,
    streamLength: 0,
    backpressure: false,
  };

  constructor(
    private readonly redis: Redis,
    private readonly db: SupabaseClient,
    private readonly keys: RedisKeys,
    private readonly options: WriterOptions,
    private readonly log: Logger,
  ) {}

  metrics(): WriterMetrics {
    return { phase: this.phase, ...this.stats };
  }

  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.eventStream(), this.options.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!GROUP_EXISTS.test((err as Error).message)) throw err;
    }
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
    this.phase = LifecyclePhase.Stopped;
    this.log.info(this.stats, 'writer stopped');
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.inspect();
        const entries = await this.collectBatch();
        if (entries.length > 0) await this.writeWithRetry(entries);
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        this.log.error({ err }, 'writer loop error; continuing');
        await sleep(this.options.retryInitialMs).catch(() => undefined);
      }
    }
  }

  /** Reads up to maxBatchSize entries, waiting at most maxBatchWaitMs after the first one for more. */
  private async collectBatch(): Promise<Entry[]> {
    const batch: Entry[] = await this.claimStale();
    const deadline = Date.now() + this.options.maxBatchWaitMs;
    while (batch.length < this.options.maxBatchSize && !this.stopping.signal.aborted) {
      const wait = batch.length === 0 ? this.options.idleBlockMs : deadline - Date.now();
      if (wait <= 0) break;
      const read = await this.read(this.options.maxBatchSize - batch.length, wait);
      batch.push(...read);
      if (read.length === 0 && batch.length > 0) break;
    }
    return batch;
  }

  private async read(count: number, blockMs: number): Promise<Entry[]> {
    // A blocking read on this connection would delay stop(); the block is short, so the loop checks often.
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      this.options.group,
      this.options.consumer,
      'COUNT',
      count,
      'BLOCK',
      Math.max(1, Math.floor(blockMs)),
      'STREAMS',
      this.keys.eventStream(),
      '>',
    )) as Array<[string, Array<[string, string[]]>]> | null;
    return (reply?.[0]?.[1] ?? []).map(([id, fields]) => toEntry(id, fields));
  }

  /** Takes over entries another writer read but did not acknowledge within claimIdleMs (it died). */
  private async claimStale(): Promise<Entry[]> {
    if (Date.now() - this.lastClaimAt < this.options.claimIntervalMs) return [];
    this.lastClaimAt = Date.now();
    const reply = (await this.redis.xautoclaim(
      this.keys.eventStream(),
      this.options.group,
      this.options.consumer,
      this.options.claimIdleMs,
      '0-0',
      'COUNT',
      this.options.maxBatchSize,
    )) as [string, Array<[string, string[]] | null>, string[]?];
    const claimed = (reply[1] ?? []).filter((e): e is [string, string[]] => e !== null).map(([id, fields]) => toEntry(id, fields));
    if (claimed.length > 0) this.log.info({ count: claimed.length }, 'claimed entries of a writer that stopped answering');
    return claimed;
  }

  private async writeWithRetry(entries: Entry[]): Promise<void> {
    let delay = this.options.retryInitialMs;
    for (;;) {
      const poison = entries.filter((e) => e.event === undefined);
      if (poison.length > 0) await this.deadLetter(poison);
      const good = entries.filter((e) => e.event !== undefined);
      if (good.length === 0) return;
      const error = await this.write(good);
      if (!error) {
        await this.acknowledge(good.map((e) => e.id));
        for (const e of good) this.attempts.delete(e.id);
        return;
      }
      this.stats.writeFailures += 1;
      if (isDataError(error)) {
        entries = await this.isolatePoison(good, error);
        if (entries.length === 0) return;
        continue;
      }
      // The database (or PostgREST) is down or overloaded: keep the batch, wait, try again. Nothing
      // more is read meanwhile, so memory stays bounded by one batch; the rest waits in the stream.
      this.log.warn({ err: error, retryInMs: delay, batch: good.length }, 'batch write failed; retrying');
      const stopped = await sleep(delay, false, { signal: this.stopping.signal }).catch(() => true);
      delay = Math.min(delay * 2, this.options.retryMaxMs);
      if (stopped) {
        // Stopping: one last try; what still fails stays pending in the stream for the next writer.
        if (!(await this.write(good))) await this.acknowledge(good.map((e) => e.id));
        return;
      }
    }
  }

  /** One request for the whole batch; returns the error, or undefined on success. */
  private async write(entries: Entry[]): Promise<{ message: string; code?: string } | undefined> {
    const rows = foldEventBatch(entries.map((e) => e.event as RunEvent));
    this.stats.requests += 1;
    try {
      const { data, error } = await this.db.rpc('apply_event_batch', { p_runs: rows.runs, p_nodes: rows.nodes, p_events: rows.events });
      if (error) return { message: error.message, code: error.code };
      this.stats.eventsWritten += typeof data === 'number' ? data : 0;
      this.stats.batchesWritten += 1;
      return undefined;
    } catch (err) {
      return { message: (err as Error).message };
    }
  }

  /**
   * The database rejected the batch's data: find the events responsible by halving the batch, write
   * the rest, and count attempts against the culprits; past maxAttempts they go to the dead letters.
   * Returns the entries still to write (none when everything was settled).
   */
  private async isolatePoison(entries: Entry[], error: { message: string; code?: string }): Promise<Entry[]> {
    if (entries.length === 1) {
      const e = entries[0] as Entry;
      const n = (this.attempts.get(e.id) ?? 0) + 1;
      this.attempts.set(e.id, n);
      if (n >= this.options.maxAttempts) {
        await this.deadLetter([{ ...e, problem: `database rejected it ${n} times: ${error.message}` }]);
        this.attempts.delete(e.id);
        return [];
      }
      await sleep(this.options.retryInitialMs).catch(() => undefined);
      return entries;
    }
    const half = Math.ceil(entries.length / 2);
    for (const part of [entries.slice(0, half), entries.slice(half)]) {
      const partError = await this.write(part);
      if (!partError) await this.acknowledge(part.map((e) => e.id));
      else if (isDataError(partError)) {
        const rest = await this.isolatePoison(part, partError);
        if (rest.length > 0) return rest;
      } else return part;
    }
    return [];
  }

  private async acknowledge(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const stream = this.keys.eventStream();
    // Deleting stored entries keeps the stream as long as the backlog, not the history.
    await this.redis.multi().xack(stream, this.options.group, ...ids).xdel(stream, ...ids).exec();
  }

  private async deadLetter(entries: Entry[]): Promise<void> {
    const pipeline = this.redis.multi();
    for (const e of entries) {
      pipeline.xadd(this.keys.deadLetterStream(), '*', 'id', e.id, 'reason', e.problem ?? 'unknown', 'e', e.event ? JSON.stringify(e.event) : '');
    }
    await pipeline.exec();
    await this.acknowledge(entries.map((e) => e.id));
    this.stats.deadLettered += entries.length;
    this.log.error({ ids: entries.map((e) => e.id), reasons: entries.map((e) => e.problem) }, 'events moved to the dead-letter stream');
  }

  /** Refreshes pending and length figures, and says so when the stream grows past the backpressure mark. */
  private async inspect(): Promise<void> {
    if (Date.now() - this.lastInspectAt < this.options.inspectIntervalMs) return;
    this.lastInspectAt = Date.now();
    const stream = this.keys.eventStream();
    const [length, pending] = await Promise.all([
      this.redis.xlen(stream),
      this.redis.xpending(stream, this.options.group) as Promise<[number, ...unknown[]]>,
    ]);
    this.stats.streamLength = length;
    this.stats.pending = Number(pending[0] ?? 0);
    const over = length > this.options.backpressureLength;
    if (over && !this.stats.backpressure) {
      this.log.warn({ length, limit: this.options.backpressureLength }, 'event stream past its backpressure mark: writers are behind');
    } else if (!over && this.stats.backpressure) this.log.info({ length }, 'event stream back under its backpressure mark');
    this.stats.backpressure = over;
  }
}

function toEntry(id: string, fields: string[]): Entry {
  const at = fields.indexOf('e');
  const text = at >= 0 ? fields[at + 1] : undefined;
  if (text === undefined) return { id, event: undefined, problem: 'entry has no "e" field' };
  try {
    return { id, event: parseRunEvent(JSON.parse(text)), problem: undefined };
  } catch (err) {
    return { id, event: undefined, problem: (err as Error).message };
  }
}

/** Postgres data errors (class 22, 23) and PostgREST's bad-request ones mean the batch itself is wrong. */
function isDataError(error: { code?: string }): boolean {
  const code = error.code ?? '';
  return /^(22|23)/.test(code) || code === 'PGRST102' || code === '42804';
}
