/**
 * Every long-running process (API, worker, writer, gpu-worker) moves through these phases once;
 * a union instead of booleans makes "stopping while starting" and similar states explicit.
 */
export enum LifecyclePhase {
  Starting = 'starting',
  Running = 'running',
  Draining = 'draining',
  Stopped = 'stopped',
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT; a second signal exits at once. A process that
 * cannot drain within `graceMs` exits anyway, so an orchestrator's stop never hangs.
 */
export function stopOnSignals(stop: () => Promise<void>, graceMs: number, log: (msg: string) => void = console.error): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: draining (up to ${graceMs} ms)`);
    const timer = setTimeout(() => {
      log('drain took too long: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Under a supervisor (src/stack) the IPC channel closes when it dies, even by SIGKILL: drain and
  // exit then too, so no process outlives the stack that started it.
  if (process.connected) process.on('disconnect', () => onSignal('SIGHUP'));
}

/** The message a child process sends its supervisor (src/stack) over IPC once it serves. */
export const READY_MESSAGE = 'switchyard:ready';

/** Tells the supervising process, if there is one, that this process is ready. */
export function announceReady(): void {
  process.send?.(READY_MESSAGE);
}
