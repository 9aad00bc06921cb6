/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts, whichever comes
 * first. For work that cannot itself be interrupted (a model call, a third-party handler): the
 * caller moves on, the work finishes in the background and its result is dropped.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
