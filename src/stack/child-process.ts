import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { formatLogLine } from './log-line';

export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a child whose lifetime the caller owns. Its output is prefixed with its name, and `stop()`
 * waits for it to exit, escalating to SIGKILL, so no child outlives the process that started it.
 */
export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions & { onLine?: (line: string) => void; onMessage?: (message: unknown) => void; quiet?: boolean } = {},
): ManagedChild {
  // Each child gets its own process group: Ctrl-C in a terminal reaches only the supervisor, which
  // stops the children in order (API first, PostgREST last) instead of all at once.
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, ...options });
  if (options.onMessage) child.on('message', options.onMessage);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const forward = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void => {
    if (!stream) return;
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        options.onLine?.(line);
        if (!options.quiet) out.write(`[${name}] ${formatLogLine(line)}\n`);
        nl = buffered.indexOf('\n');
      }
    });
  };
  forward(child.stdout, process.stdout);
  forward(child.stderr, process.stderr);

  return {
    name,
    process: child,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
