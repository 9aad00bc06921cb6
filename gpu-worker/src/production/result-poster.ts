import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { discard, type RunpodHttpClient } from './runpod-http';
import { jobDoneUrl } from './runpod-urls';

/** What a worker posts to the job-done URL (runpod-python's `run_job` result, or a progress update). */
export type JobDoneBody = { output: unknown } | { error: string } | { status: 'IN_PROGRESS'; output: unknown };

export interface ResultPosterOptions {
  /** The job-done URL template, worker id in place, `$ID` for the job. */
  jobDoneUrlTemplate: string;
  /** Tries per result, the first included. */
  resultAttempts: number;
  /** Unit of the Fibonacci pauses between tries. */
  resultRetryMs: number;
  requestTimeoutMs: number;
}

/** One job's progress posts: one in flight at a time, the latest waiting value replaces older ones. */
interface ProgressLane {
  sending: Promise<void> | undefined;
  next: { output: unknown } | undefined;
  closed: boolean;
}

/**
 * Fibonacci pause before try `retry` (1-based), in units, capped at 3: runpod-python posts through
 * aiohttp_retry's FibonacciRetry (multiplier 1, max_timeout 3 s), which waits 1 s, then 2 s.
 */
export function resultRetryDelay(retry: number, unitMs: number): number {
  let [a, b] = [1, 2];
  for (let i = 1; i < retry; i += 1) [a, b] = [b, a + b];
  return Math.min(a, 3) * unitMs;
}

/** Whether another try may help: no answer at all, a timeout, 429 or a server error. */
const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * Posts results and progress to RunPod's job-done URL as runpod-python's rp_http does:
 * `POST {job-done with $ID=job id}&isStream=false`, header `X-Request-ID: <job id>`, the JSON body
 * sent with the headers runpod-python sends (`Content-Type: application/x-www-form-urlencoded`,
 * `charset: utf-8`: RunPod's job-done endpoint reads the raw JSON whatever the type says, and we
 * send it what it receives from every Python worker rather than guess what else it accepts).
 * Results are tried `resultAttempts` times; runpod-python retries only network faults and 5xx, we
 * retry 429 and 408 too, since dropping a finished result is the worst outcome. Progress is sent
 * once, best effort, and a job's result waits for its progress post in flight, so RunPod never
 * sees an IN_PROGRESS update after the job's result.
 */
export class ResultPoster {
  private readonly lanes = new Map<string, ProgressLane>();

  constructor(
    private readonly http: RunpodHttpClient,
    private readonly options: ResultPosterOptions,
    private readonly log: Logger,
  ) {}

  /** Queues a progress update (`{"status":"IN_PROGRESS","output":...}`); ignored once the result is on its way. */
  progress(jobId: string, output: unknown): void {
    let lane = this.lanes.get(jobId);
    if (!lane) {
      lane = { sending: undefined, next: undefined, closed: false };
      this.lanes.set(jobId, lane);
    }
    if (lane.closed) return;
    lane.next = { output };
    if (!lane.sending) lane.sending = this.sendProgress(jobId, lane);
  }

  /** Posts a job's final body; resolves true once RunPod accepted it, false when every try failed. */
  async result(jobId: string, body: JobDoneBody): Promise<boolean> {
    const lane = this.lanes.get(jobId);
    if (lane) {
      lane.closed = true;
      lane.next = undefined;
      await lane.sending;
      this.lanes.delete(jobId);
    }
    const url = jobDoneUrl(this.options.jobDoneUrlTemplate, jobId);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.post(url, jobId, body);
      if (outcome === 'ok') return true;
      if (outcome === 'final' || attempt >= this.options.resultAttempts) {
        this.log.error({ jobId, attempts: attempt }, 'could not post the job result to RunPod');
        return false;
      }
      // No abort: a draining worker still owes RunPod this result (the shutdown grace bounds it).
      await sleep(resultRetryDelay(attempt, this.options.resultRetryMs));
    }
  }

  /** Forgets a job that ends without a result (stopped by RunPod): its pending progress is dropped. */
  async discard(jobId: string): Promise<void> {
    const lane = this.lanes.get(jobId);
    if (!lane) return;
    lane.closed = true;
    lane.next = undefined;
    await lane.sending;
    this.lanes.delete(jobId);
  }

  private async sendProgress(jobId: string, lane: ProgressLane): Promise<void> {
    const url = jobDoneUrl(this.options.jobDoneUrlTemplate, jobId);
    while (lane.next && !lane.closed) {
      const { output } = lane.next;
      lane.next = undefined;
      await this.post(url, jobId, { status: 'IN_PROGRESS', output });
    }
    lane.sending = undefined;
  }

  /** One POST: 'ok', 'retry' (worth another try) or 'final' (RunPod refused it for good). */
  private async post(url: string, jobId: string, body: JobDoneBody): Promise<'ok' | 'retry' | 'final'> {
    try {
      const response = await this.http.post(
        url,
        JSON.stringify(body),
        { 'x-request-id': jobId, 'content-type': 'application/x-www-form-urlencoded', charset: 'utf-8' },
        AbortSignal.timeout(this.options.requestTimeoutMs),
      );
      await discard(response);
      if (response.ok) return 'ok';
      this.log.warn({ jobId, status: response.status }, 'RunPod refused a job-done post');
      return retryableStatus(response.status) ? 'retry' : 'final';
    } catch (err) {
      this.log.warn({ err, jobId }, 'job-done post failed');
      return 'retry';
    }
  }
}
