import { spawn } from 'node:child_process';

/**
 * `node guard.js <program> [args...]`: runs a program that is not Node (PostgREST) so that it
 * cannot outlive the stack. The guard forwards SIGTERM/SIGINT to the program, and when its own
 * supervisor dies, even by SIGKILL, the IPC channel closes and the guard stops the program too.
 * Node children of the stack do the same themselves (src/lifecycle.ts).
 */
function main(): void {
  const [program, ...args] = process.argv.slice(2);
  if (!program) {
    console.error('usage: guard <program> [args...]');
    process.exit(2);
  }
  const child = spawn(program, args, { stdio: 'inherit' });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('disconnect', () => stop('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
