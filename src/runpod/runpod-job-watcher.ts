import type { Redis } from 'ioredis';
import { NodeErrorCode, NodeExecutionError, RetryableNodeError } from '../core/errors';
import { FINAL_RUNPOD_STATUSES, RunpodJobStatus, type RunpodJobNotice, type RunpodJobState } from './protocol';
import type { RunpodEndpointClient } from './runpod-endpoint-client';

export interface RunpodJobWatcherOptions {
  /** First /status poll after this long; doubles up to `pollMaxMs`. @defaultValue 250 */
  pollInitialMs: number;
  /** @defaultValue 2000 */
  pollMaxMs: number;
  /** Notices kept for jobs nobody waits for yet (a job can finish before its waiter registers). @defaultValue 10000 */
  recentNoticeLimit: number;
}

type Waiter = (state: RunpodJobState) => void;
type ProgressListener = (progress: number) => void;

/**
 * Learns when RunPod jobs finish. Fast path: the gpu-worker publishes a notice on Redis. Fallback:
 * `/status` polling with exponential backoff, so a lost notice (or a real RunPod endpoint, which
 * publishes nothing) costs latency, never correctness.
 */
export class RunpodJobWatcher {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly progressListeners = new Map<string, ProgressListener>();
  private readonly recent = new Map<string, RunpodJobState>();

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly client: RunpodEndpointClient,
    private readonly options: RunpodJobWatcherOptions,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onNotice(message);
    });
    await this.subscriber.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  private onNotice(message: string): void {
    let notice: RunpodJobNotice;
    try {
      notice = JSON.parse(message) as RunpodJobNotice;
    } catch {
      return;
    }
    if (typeof notice.id !== 'string') return;
    if (notice.status === RunpodJobStatus.InProgress) {
      const progress = (notice.output as { progress?: unknown } | undefined)?.progress;
      if (typeof progress === 'number') this.progressListeners.get(notice.id)?.(progress);
      return;
    }
    if (!FINAL_RUNPOD_STATUSES.has(notice.status)) return;
    const state: RunpodJobState = { id: notice.id, status: notice.status };
    if (notice.output !== undefined) state.output = notice.output;
    if (notice.error !== undefined) state.error = notice.error;
    const waiting = this.waiters.get(notice.id);
    if (waiting) {
      for (const w of waiting) w(state);
      return;
    }
    this.recent.set(notice.id, state);
    if (this.recent.size > this.options.recentNoticeLimit) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  /**
   * Resolves with the job's final state; rejects with the abort reason when `signal` aborts.
   * `onProgress` hears the job's progress notices meanwhile (fast path only: polling skips them).
   *
   * Written with plain callbacks and one timer rather than an AbortController and an abortable
   * sleep per wait: every GPU node waits once, and those objects (and the AbortError each aborted
   * sleep builds) were a tenth of the worker's CPU per node.
   */
  waitForFinal(jobId: string, signal: AbortSignal, onProgress?: ProgressListener): Promise<RunpodJobState> {
    const early = this.recent.get(jobId);
    if (early) {
      this.recent.delete(jobId);
      return Promise.resolve(early);
    }
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<RunpodJobState>((resolve, reject) => {
      let delay = this.options.pollInitialMs;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const waiters = this.waiters.get(jobId) ?? new Set<Waiter>();
      const end = (): boolean => {
        if (settled) return false;
        settled = true;
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(onFinal);
        if (waiters.size === 0 && this.waiters.get(jobId) === waiters) this.waiters.delete(jobId);
        if (onProgress && this.progressListeners.get(jobId) === onProgress) this.progressListeners.delete(jobId);
        return true;
      };
      const onFinal: Waiter = (state) => {
        if (end()) resolve(state);
      };
      const onAbort = (): void => {
        if (end()) reject(signal.reason as Error);
      };
      const schedulePoll = (): void => {
        timer = setTimeout(poll, delay);
        delay = Math.min(delay * 2, this.options.pollMaxMs);
      };
      const poll = (): void => {
        timer = undefined;
        this.client.status(jobId).then(
          (state) => {
            if (settled) return;
            if (FINAL_RUNPOD_STATUSES.has(state.status)) onFinal(state);
            else schedulePoll();
          },
          (err: unknown) => {
            if (settled) return;
            // The endpoint no longer knows the job (e.g. a local gpu-worker restarted): run it again.
            if (err instanceof NodeExecutionError && err.code === NodeErrorCode.RunpodRejected) {
              if (end())
                reject(
                  new RetryableNodeError(NodeErrorCode.RunpodUnavailable, `RunPod job ${jobId} was lost: ${err.message}`, err),
                );
              return;
            }
            // Transient (429, 5xx, network): keep polling with backoff.
            schedulePoll();
          },
        );
      };
      waiters.add(onFinal);
      this.waiters.set(jobId, waiters);
      if (onProgress) this.progressListeners.set(jobId, onProgress);
      signal.addEventListener('abort', onAbort, { once: true });
      schedulePoll();
    });
  }
}
