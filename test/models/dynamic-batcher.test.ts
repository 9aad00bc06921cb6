import { getEventListeners } from 'node:events';
import { DynamicBatcher, type BatchingOptions } from '../../gpu-worker/src/models';

/** A promise with its resolver: lets a test hold a batch "running" for as long as it needs. */
function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const options = (overrides: Partial<BatchingOptions> = {}): BatchingOptions => ({
  maxBatchSize: 4,
  maxWaitMs: 20,
  maxConcurrentBatches: 1,
  ...overrides,
});

describe('DynamicBatcher', () => {
  test('items submitted together run as one batch, each caller gets its own result', async () => {
    const batches: number[][] = [];
    const batcher = new DynamicBatcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((x) => x * 10);
    }, options());
    const results = await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  test('a full batch starts at once; items arriving while it runs form the next batch', async () => {
    const gate = deferred();
    const batches: number[][] = [];
    const batcher = new DynamicBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await gate.promise;
        return [...items];
      },
      options({ maxWaitMs: 60_000 }),
    );
    const first = [1, 2, 3, 4].map((x) => batcher.submit(x));
    await Promise.resolve();
    expect(batches).toEqual([[1, 2, 3, 4]]); // full: it did not wait 60 s
    const second = [5, 6, 7, 8, 9, 10, 11, 12].map((x) => batcher.submit(x));
    expect(batcher.stats().queued).toBe(8);
    gate.resolve();
    expect(await Promise.all([...first, ...second])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // The 8 queued behind the running batch went as two full batches, neither waiting for maxWaitMs.
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(batcher.stats()).toMatchObject({ batches: 3, items: 12, largestBatch: 4, queued: 0 });
  });

  test('a partial batch waits at most maxWaitMs for company', async () => {
    const batcher = new DynamicBatcher<number, number>(async (items) => [...items], options({ maxWaitMs: 30 }));
    const started = performance.now();
    await batcher.submit(1);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(waited).toBeLessThan(1000);
  });

  test('with maxBatchSize 1 nothing waits and nothing batches', async () => {
    const sizes: number[] = [];
    const batcher = new DynamicBatcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        return [...items];
      },
      options({ maxBatchSize: 1, maxWaitMs: 60_000 }),
    );
    expect(await Promise.all([1, 2, 3].map((x) => batcher.submit(x)))).toEqual([1, 2, 3]);
    expect(sizes).toEqual([1, 1, 1]);
  });

  test('a failing item fails only its own caller: the batch is split and retried item by item', async () => {
    const batches: string[][] = [];
    const batcher = new DynamicBatcher<string, string>(async (items) => {
      batches.push([...items]);
      if (items.includes('poison')) throw new Error('cannot run poison');
      return items.map((x) => x.toUpperCase());
    }, options());
    const results = await Promise.allSettled(['a', 'poison', 'b'].map((x) => batcher.submit(x)));
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'A' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: new Error('cannot run poison') });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'B' });
    expect(batches).toEqual([['a', 'poison', 'b'], ['a'], ['poison'], ['b']]);
    expect(batcher.stats().splitBatches).toBe(1);
  });

  test('items batch only with items of the same key', async () => {
    const batches: Array<[string, string[]]> = [];
    const batcher = new DynamicBatcher<string, string>(
      async (items, key) => {
        batches.push([key, [...items]]);
        return [...items];
      },
      options({ maxConcurrentBatches: 2 }),
    );
    await Promise.all([
      batcher.submit('a1', 'a'),
      batcher.submit('b1', 'b'),
      batcher.submit('a2', 'a'),
      batcher.submit('b2', 'b'),
    ]);
    expect(batches.sort()).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1', 'b2']],
    ]);
  });

  test('an aborted caller leaves the queue before its batch runs, and shares one abort listener', async () => {
    const gate = deferred();
    const seen: number[] = [];
    const batcher = new DynamicBatcher<number, number>(
      async (items) => {
        seen.push(...items);
        await gate.promise;
        return [...items];
      },
      options({ maxBatchSize: 1, maxWaitMs: 0 }),
    );
    const running = batcher.submit(1);
    const controller = new AbortController();
    const queued = [2, 3, 4].map((x) => batcher.submit(x, '', controller.signal));
    const other = batcher.submit(5);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('cancelled by the run'));
    for (const p of queued) await expect(p).rejects.toThrow('cancelled by the run');
    gate.resolve();
    expect(await running).toBe(1);
    expect(await other).toBe(5);
    expect(seen).toEqual([1, 5]);
  });

  test('close rejects what is queued', async () => {
    const gate = deferred();
    const batcher = new DynamicBatcher<number, number>(
      async (items) => {
        await gate.promise;
        return [...items];
      },
      options({ maxBatchSize: 1, maxWaitMs: 0 }),
    );
    const running = batcher.submit(1);
    const queued = batcher.submit(2);
    batcher.close(new Error('shutting down'));
    await expect(queued).rejects.toThrow('shutting down');
    await expect(batcher.submit(3)).rejects.toThrow('closed');
    gate.resolve();
    expect(await running).toBe(1);
  });

  test('rejects nonsense options at construction', () => {
    const run = async (items: readonly number[]): Promise<number[]> => [...items];
    expect(() => new DynamicBatcher(run, options({ maxBatchSize: 0 }))).toThrow(RangeError);
    expect(() => new DynamicBatcher(run, options({ maxWaitMs: -1 }))).toThrow(RangeError);
    expect(() => new DynamicBatcher(run, options({ maxConcurrentBatches: 1.5 }))).toThrow(RangeError);
  });
});
