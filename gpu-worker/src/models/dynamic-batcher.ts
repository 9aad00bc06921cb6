/** How a model's requests are grouped into batches. */
export interface BatchingOptions {
  /** Most items in one inference; 1 turns batching off. */
  maxBatchSize: number;
  /** How long the first item of a partial batch waits for company before the batch runs anyway. */
  maxWaitMs: number;
  /** Batches of this model running at once; with 1, items queue while a batch runs, which is what fills batches. */
  maxConcurrentBatches: number;
}

/**
 * Runs one batch; returns one result per item, in order. It may throw: the batcher then runs each item of
 * that batch alone, so one bad item costs only its own request.
 */
export type RunBatch<Item, Result> = (items: readonly Item[], key: string) => Promise<Result[]>;

export function validateBatchingOptions(options: Readonly<BatchingOptions>): void {
  if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1)
    throw new RangeError('maxBatchSize must be an integer >= 1');
  if (!(options.maxWaitMs >= 0) || !Number.isFinite(options.maxWaitMs))
    throw new RangeError('maxWaitMs must be a finite number >= 0');
  if (!Number.isInteger(options.maxConcurrentBatches) || options.maxConcurrentBatches < 1) {
    throw new RangeError('maxConcurrentBatches must be an integer >= 1');
  }
}

export interface BatcherStats {
  /** Inferences run (batches of any size, the single-item retries of a failed batch included). */
  batches: number;
  items: number;
  largestBatch: number;
  /** Batches that threw and were split into single items. */
  splitBatches: number;
  /** Items waiting now. */
  queued: number;
}

interface Pending<Item, Result> {
  item: Item;
  key: string;
  enqueuedAt: number;
  resolve(result: Result): void;
  reject(err: unknown): void;
  /** Settled early (its caller aborted): its result, if any comes, is dropped. */
  settled: boolean;
}

enum BatcherLifecycle {
  Open = 'open',
  Closed = 'closed',
}

/**
 * Dynamic batching: items submitted for the same key within `maxWaitMs` (or while the previous batch is
 * still running) run as one batch of up to `maxBatchSize`. Items only batch with items of the same key,
 * which callers use to keep tensor shapes equal (e.g. a recogniser's padded width). Each submitter gets
 * its own result or its own error.
 */
export class DynamicBatcher<Item, Result> {
  /** Per key, items in arrival order; Map order gives fairness between keys (oldest key first). */
  private readonly queues = new Map<string, Array<Pending<Item, Result>>>();
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private lifecycle = BatcherLifecycle.Open;
  private readonly counters = { batches: 0, items: 0, largestBatch: 0, splitBatches: 0 };
  /** Per caller's signal, its unsettled items and the one listener that aborts them. */
  private readonly watched = new Map<AbortSignal, { items: Set<Pending<Item, Result>>; listener: () => void }>();

  private readonly optionsOf: () => Readonly<BatchingOptions>;

  /**
   * @param options fixed options, or a function read each time batches are formed: a model's best batching
   *   depends on the device it lands on, which is known only once it has loaded.
   */
  constructor(
    private readonly runBatch: RunBatch<Item, Result>,
    options: Readonly<BatchingOptions> | (() => Readonly<BatchingOptions>),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.optionsOf = typeof options === 'function' ? options : () => options;
    validateBatchingOptions(this.optionsOf());
  }

  /** The options in force now. */
  get options(): Readonly<BatchingOptions> {
    return this.optionsOf();
  }

  /**
   * Queues one item; an abort before its batch starts removes it, an abort during the batch stops waiting
   * for it. One request submits many items under one signal: they share a single abort listener, so a
   * long list does not pile listeners onto the signal.
   */
  submit(item: Item, key = '', signal?: AbortSignal): Promise<Result> {
    if (this.lifecycle === BatcherLifecycle.Closed) return Promise.reject(new Error('the batcher is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Result>((resolve, reject) => {
      const pending: Pending<Item, Result> = {
        item,
        key,
        enqueuedAt: this.now(),
        settled: false,
        resolve: (result) => this.settle(pending, signal) && resolve(result),
        reject: (err) => this.settle(pending, signal) && reject(err),
      };
      if (signal) this.watch(signal, pending);
      let queue = this.queues.get(key);
      if (!queue) {
        queue = [];
        this.queues.set(key, queue);
      }
      queue.push(pending);
      this.pump();
    });
  }

  /** Marks an item settled (once) and forgets its signal; false when it already was. */
  private settle(pending: Pending<Item, Result>, signal: AbortSignal | undefined): boolean {
    if (pending.settled) return false;
    pending.settled = true;
    if (signal) {
      const watched = this.watched.get(signal);
      watched?.items.delete(pending);
      if (watched && watched.items.size === 0) {
        signal.removeEventListener('abort', watched.listener);
        this.watched.delete(signal);
      }
    }
    return true;
  }

  private watch(signal: AbortSignal, pending: Pending<Item, Result>): void {
    let watched = this.watched.get(signal);
    if (!watched) {
      const items = new Set<Pending<Item, Result>>();
      const listener = (): void => {
        for (const aborted of [...items]) {
          const queue = this.queues.get(aborted.key);
          const index = queue?.indexOf(aborted) ?? -1;
          if (queue && index >= 0) {
            queue.splice(index, 1);
            if (queue.length === 0) this.queues.delete(aborted.key);
          }
          aborted.reject(signal.reason);
        }
      };
      watched = { items, listener };
      this.watched.set(signal, watched);
      signal.addEventListener('abort', listener, { once: true });
    }
    watched.items.add(pending);
  }

  stats(): BatcherStats {
    let queued = 0;
    for (const queue of this.queues.values()) queued += queue.length;
    return { ...this.counters, queued };
  }

  /** Rejects everything still queued; batches already running finish. */
  close(reason: Error = new Error('the batcher is closed')): void {
    this.lifecycle = BatcherLifecycle.Closed;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const queue of this.queues.values()) for (const pending of queue) pending.reject(reason);
    this.queues.clear();
  }

  /** Starts every batch that is due and a slot allows; otherwise arms a timer for the earliest deadline. */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const options = this.optionsOf();
    while (this.running < options.maxConcurrentBatches) {
      const due = this.nextDueKey(options);
      if (due === undefined) break;
      const queue = this.queues.get(due) ?? [];
      const batch = queue.splice(0, options.maxBatchSize);
      if (queue.length === 0) this.queues.delete(due);
      this.running += 1;
      void this.execute(batch, due).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
    if (this.running >= options.maxConcurrentBatches || this.queues.size === 0) return;
    const earliest = Math.min(...[...this.queues.values()].map((queue) => queue[0]?.enqueuedAt ?? Infinity));
    const delay = Math.max(0, earliest + options.maxWaitMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
  }

  /** A key is due when its queue fills a batch or its oldest item has waited maxWaitMs; oldest key first. */
  private nextDueKey(options: Readonly<BatchingOptions>): string | undefined {
    const now = this.now();
    let best: string | undefined;
    let bestAt = Infinity;
    for (const [key, queue] of this.queues) {
      const head = queue[0];
      if (!head) continue;
      const full = queue.length >= options.maxBatchSize;
      const waited = now - head.enqueuedAt >= options.maxWaitMs;
      if ((full || waited) && head.enqueuedAt < bestAt) {
        best = key;
        bestAt = head.enqueuedAt;
      }
    }
    return best;
  }

  private async execute(batch: Array<Pending<Item, Result>>, key: string): Promise<void> {
    const live = batch.filter((pending) => !pending.settled);
    if (live.length === 0) return;
    try {
      const results = await this.run(live, key);
      live.forEach((pending, i) => pending.resolve(results[i] as Result));
    } catch (err) {
      if (live.length === 1) {
        live[0]?.reject(err);
        return;
      }
      // Isolate the failure: each item alone, so only the item(s) that cannot run fail.
      this.counters.splitBatches += 1;
      for (const pending of live) {
        if (pending.settled) continue;
        try {
          const [result] = await this.run([pending], key);
          pending.resolve(result as Result);
        } catch (itemErr) {
          pending.reject(itemErr);
        }
      }
    }
  }

  private async run(batch: Array<Pending<Item, Result>>, key: string): Promise<Result[]> {
    this.counters.batches += 1;
    this.counters.items += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    const results = await this.runBatch(
      batch.map((pending) => pending.item),
      key,
    );
    if (results.length !== batch.length) {
      throw new Error(`batch of ${batch.length} produced ${results.length} results`);
    }
    return results;
  }
}
