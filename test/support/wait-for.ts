import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until `done(value)` holds, and returns that value; after `timeoutMs`, returns the
 * last value so the caller's assertion shows what was there. For state another process writes
 * eventually (the batching writer), never as a stand-in for a timing assertion.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await probe();
  }
  return value;
}
