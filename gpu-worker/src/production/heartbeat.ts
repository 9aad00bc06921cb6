import type { Logger } from 'pino';
import { discard, redact, WORKER_AGENT, type RunpodHttpClient } from './runpod-http';
import { withQuery } from './runpod-urls';

export interface HeartbeatOptions {
  /** The ping URL, worker id in place. */
  pingUrl: string;
  intervalMs: number;
}

/**
 * Tells RunPod the worker is alive and which jobs it holds, as runpod-python's Heartbeat does:
 * `GET {ping}?job_id=<ids, comma-separated>&runpod_version=...` at start and then every interval
 * (no `job_id` while it holds none). RunPod reassigns a job whose worker stops naming it, so pings
 * go on while the worker drains. A ping that fails is logged; the next one is the retry. A ping
 * still in flight when the next is due is not doubled (its timeout is two intervals, as in runpod-python).
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly http: RunpodHttpClient,
    private readonly options: HeartbeatOptions,
    private readonly jobIds: () => readonly string[],
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  /** Stops pinging; resolves once a ping in flight has ended. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = this.ping().finally(() => {
      this.inFlight = undefined;
    });
  }

  private async ping(): Promise<void> {
    const ids = this.jobIds();
    const url = withQuery(this.options.pingUrl, {
      ...(ids.length > 0 ? { job_id: ids.join(',') } : {}),
      runpod_version: WORKER_AGENT,
    });
    try {
      const response = await this.http.get(url, AbortSignal.timeout(this.options.intervalMs * 2));
      await discard(response);
      if (!response.ok) this.log.warn({ status: response.status, url: redact(url) }, 'heartbeat refused');
    } catch (err) {
      this.log.warn({ err, url: redact(url) }, 'heartbeat failed');
    }
  }
}
