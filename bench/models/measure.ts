import type { BlockContext, BlockHandler } from '../../src/blocks/block-handler';

export function blockContext(): BlockContext {
  return { signal: new AbortController().signal, attempt: 1, reportProgress: () => undefined };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Closed-loop throughput: `concurrency` clients, each sending its next request as soon as the previous one
 * answers, until `total` requests are done. Returns requests per second.
 */
export async function closedLoopThroughput(
  send: (index: number) => Promise<unknown>,
  concurrency: number,
  total: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const client = async (): Promise<void> => {
    while (next < total) await send(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return (total * 1000) / (performance.now() - started);
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export function callHandler(
  handler: BlockHandler | undefined,
  inputs: Record<string, unknown>,
  config: unknown,
): Promise<unknown> {
  if (!handler) return Promise.reject(new Error('handler not registered'));
  return handler(inputs, config, blockContext());
}
