import type { Logger } from 'pino';

/** What loading a model yields: the model and what it costs to keep resident. */
export interface LoadedModel<M> {
  model: M;
  /** Approximate resident size (the weights), for the cache's byte bound. */
  bytes: number;
}

/** How to bring one model into memory and out again. */
export interface ModelDefinition<M> {
  load(): Promise<LoadedModel<M>>;
  unload(model: M): Promise<void>;
}

export type ModelDefinitions<Models> = { readonly [K in keyof Models]: ModelDefinition<Models[K]> };

export interface ModelCacheLimits {
  /** Most models resident at once. */
  maxModels: number;
  /** Most bytes of models resident at once. */
  maxBytes: number;
}

/** A model in use. Until it is released the cache will not evict (and so not unload) it. */
export interface ModelLease<M> {
  readonly model: M;
  release(): void;
}

export interface ModelMetrics {
  /** Loads from disk: the first use, and each use after an eviction. */
  coldLoads: number;
  /** Acquisitions served by a model already resident. */
  warmHits: number;
  /** Acquisitions that arrived while the model was loading and shared that one load. */
  sharedLoads: number;
  loadFailures: number;
  evictions: number;
  /** Duration of the latest cold load, in ms; null before the first. */
  lastLoadMs: number | null;
  resident: boolean;
  bytes: number;
}

export interface ModelCacheMetrics<Id extends string> {
  residentModels: number;
  residentBytes: number;
  models: Record<Id, ModelMetrics>;
}

enum EntryState {
  Loading = 'loading',
  Ready = 'ready',
}

interface ReadyEntry<M> {
  state: EntryState.Ready;
  model: M;
  bytes: number;
  /** Requests holding the model; a leased model is never unloaded. */
  leases: number;
  /** Set by dispose() for a model in use: unload it when the last lease goes. */
  unloadOnRelease: boolean;
}

type Entry<M> = { state: EntryState.Loading; promise: Promise<LoadedModel<M>> } | ReadyEntry<M>;

enum CacheLifecycle {
  Open = 'open',
  Disposed = 'disposed',
}

/**
 * Keeps loaded models resident, bounded by count and bytes, evicting the least recently used model that no
 * request holds. A model is loaded once however many requests arrive while it is cold: they all wait on
 * the same load. Loading failures are not cached, so the next request tries again.
 */
export class ModelCache<Models extends { [K in keyof Models]: unknown }> {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<keyof Models & string, Entry<Models[keyof Models & string]>>();
  private readonly counters: Record<string, ModelMetrics>;
  private lifecycle = CacheLifecycle.Open;

  constructor(
    private readonly definitions: ModelDefinitions<Models>,
    private readonly limits: ModelCacheLimits,
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.counters = {};
    for (const id of Object.keys(definitions)) {
      this.counters[id] = {
        coldLoads: 0,
        warmHits: 0,
        sharedLoads: 0,
        loadFailures: 0,
        evictions: 0,
        lastLoadMs: null,
        resident: false,
        bytes: 0,
      };
    }
  }

  /** The model, loaded if need be; release the lease when the inference that uses it is done. */
  async acquire<K extends keyof Models & string>(id: K): Promise<ModelLease<Models[K]>> {
    if (this.lifecycle === CacheLifecycle.Disposed) throw new Error('the model cache is disposed');
    const counters = this.countersOf(id);
    let shared = false;
    // Loops only if the model is evicted between its load and our lease (another request's release).
    for (;;) {
      const entry = this.entries.get(id) as Entry<Models[K]> | undefined;
      if (entry?.state === EntryState.Ready) {
        if (!shared) counters.warmHits += 1;
        this.touch(id, entry);
        return this.lease(id, entry);
      }
      if (entry?.state === EntryState.Loading) {
        if (!shared) counters.sharedLoads += 1;
        shared = true;
        await entry.promise;
        continue;
      }
      const loaded = await this.load(id);
      const lease = this.lease(id, loaded);
      void this.evictOverBudget();
      return lease;
    }
  }

  /** Loads the given models now (WARM_MODELS), one at a time to bound the start-up memory peak. */
  async preload(ids: readonly (keyof Models & string)[]): Promise<void> {
    for (const id of ids) (await this.acquire(id)).release();
  }

  metrics(): ModelCacheMetrics<keyof Models & string> {
    let residentModels = 0;
    let residentBytes = 0;
    const models = {} as Record<keyof Models & string, ModelMetrics>;
    for (const [id, counters] of Object.entries(this.counters)) {
      const entry = this.entries.get(id as keyof Models & string);
      const resident = entry?.state === EntryState.Ready;
      const bytes = resident ? entry.bytes : 0;
      if (resident) {
        residentModels += 1;
        residentBytes += bytes;
      }
      models[id as keyof Models & string] = { ...counters, resident, bytes };
    }
    return { residentModels, residentBytes, models };
  }

  /** Unloads every model; models still leased are unloaded when their last lease is released. */
  async dispose(): Promise<void> {
    this.lifecycle = CacheLifecycle.Disposed;
    const pending: Promise<void>[] = [];
    for (const [id, entry] of [...this.entries]) {
      if (entry.state === EntryState.Loading) {
        pending.push(entry.promise.then(() => this.disposeEntry(id)).catch(() => undefined));
      } else {
        pending.push(this.disposeEntry(id));
      }
    }
    await Promise.all(pending);
  }

  private async disposeEntry(id: keyof Models & string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry?.state !== EntryState.Ready) return;
    if (entry.leases > 0) {
      entry.unloadOnRelease = true;
      return;
    }
    await this.unload(id, entry);
  }

  private async load<K extends keyof Models & string>(id: K): Promise<ReadyEntry<Models[K]>> {
    const counters = this.countersOf(id);
    const started = this.now();
    const promise = this.definitions[id].load();
    const loading: Entry<Models[K]> = { state: EntryState.Loading, promise };
    this.entries.set(id, loading);
    let loaded: LoadedModel<Models[K]>;
    try {
      loaded = await promise;
    } catch (err) {
      if (this.entries.get(id) === loading) this.entries.delete(id);
      counters.loadFailures += 1;
      this.logger.error({ err, model: id }, 'model failed to load');
      throw err;
    }
    counters.coldLoads += 1;
    counters.lastLoadMs = this.now() - started;
    this.logger.info({ model: id, bytes: loaded.bytes, loadMs: Math.round(counters.lastLoadMs) }, 'model loaded');
    const ready: ReadyEntry<Models[K]> = {
      state: EntryState.Ready,
      model: loaded.model,
      bytes: loaded.bytes,
      leases: 0,
      unloadOnRelease: this.lifecycle === CacheLifecycle.Disposed,
    };
    this.entries.delete(id); // re-insert at the most recent end
    this.entries.set(id, ready);
    return ready;
  }

  private lease<K extends keyof Models & string>(id: K, entry: ReadyEntry<Models[K]>): ModelLease<Models[K]> {
    entry.leases += 1;
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        if (entry.leases > 0) return;
        if (entry.unloadOnRelease) {
          void this.unload(id, entry);
          return;
        }
        // A release may free a model that was pinned while the cache ran over budget.
        void this.evictOverBudget();
      },
    };
  }

  /** Evicts least recently used, unleased models until the limits hold (or nothing more can go). */
  private async evictOverBudget(): Promise<void> {
    for (;;) {
      let count = 0;
      let bytes = 0;
      for (const entry of this.entries.values()) {
        if (entry.state !== EntryState.Ready) continue;
        count += 1;
        bytes += entry.bytes;
      }
      if (count <= this.limits.maxModels && bytes <= this.limits.maxBytes) return;
      const victim = [...this.entries].find(([, entry]) => entry.state === EntryState.Ready && entry.leases === 0);
      if (!victim) {
        this.logger.warn({ count, bytes, limits: this.limits }, 'model cache over budget: every resident model is in use');
        return;
      }
      const [id, entry] = victim;
      this.countersOf(id).evictions += 1;
      this.logger.info({ model: id }, 'evicting least recently used model');
      await this.unload(id, entry as ReadyEntry<Models[keyof Models & string]>);
    }
  }

  private async unload<K extends keyof Models & string>(id: K, entry: ReadyEntry<Models[K]>): Promise<void> {
    if (this.entries.get(id) === entry) this.entries.delete(id);
    try {
      await this.definitions[id].unload(entry.model);
    } catch (err) {
      this.logger.warn({ err, model: id }, 'model failed to unload cleanly');
    }
  }

  private touch<K extends keyof Models & string>(id: K, entry: Entry<Models[K]>): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  private countersOf(id: string): ModelMetrics {
    const counters = this.counters[id];
    if (!counters) throw new RangeError(`unknown model "${id}"`);
    return counters;
  }
}
