/**
 * The jobs this worker holds: taken from RunPod and not yet reported back (runpod-python's
 * JobsProgress). A job counts from the moment it is taken until its result is posted, so the take
 * loop never asks for more than `capacity` and heartbeats name every job RunPod must not reassign.
 */
export class InFlightJobs {
  private readonly ids = new Set<string>();
  private waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.ids.size;
  }

  /** Free slots: how many jobs the next take may ask for. */
  get free(): number {
    return Math.max(0, this.capacity - this.ids.size);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  list(): string[] {
    return [...this.ids];
  }

  add(id: string): void {
    this.ids.add(id);
  }

  delete(id: string): void {
    if (this.ids.delete(id)) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once a slot is free, or at once when `signal` aborts. */
  async whenFree(signal: AbortSignal): Promise<void> {
    await this.until(() => this.free > 0, signal);
  }

  /** Resolves once every job is reported. */
  async whenEmpty(): Promise<void> {
    await this.until(() => this.ids.size === 0);
  }

  private async until(done: () => boolean, signal?: AbortSignal): Promise<void> {
    while (!done() && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }
}
