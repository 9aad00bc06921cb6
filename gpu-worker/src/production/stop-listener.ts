import type { Logger } from 'pino';
import { isTimeout, pause } from './pause';
import { discard, readJson, RunpodHttpError, TooManyRequestsError, type RunpodHttpClient } from './runpod-http';

export interface StopListenerOptions {
  /** The job-stop URL (derived from the job-take URL, see runpod-urls.ts `jobStopUrl`). */
  jobStopUrl: string;
  longPollTimeoutMs: number;
  tooManyRequestsBackoffMs: number;
  /** Pause after an empty answer or a failed call, as runpod-python's 1 s floor. */
  errorBackoffMs: number;
}

/** Reads `{"jobsToStop": [ids]}`; anything else is no signal (runpod-python logs and ignores it). */
export function parseStopSignals(body: unknown, log: Logger): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const raw = (body as { jobsToStop?: unknown }).jobsToStop;
  if (!Array.isArray(raw)) {
    if (raw !== undefined) log.warn('job-stop: jobsToStop is not a list');
    return [];
  }
  const ids = raw.filter((id): id is string => typeof id === 'string');
  if (ids.length !== raw.length) log.warn({ dropped: raw.length - ids.length }, 'job-stop: dropped ids that are not strings');
  return ids;
}

/**
 * Long polls RunPod's per-job stop channel, as runpod-python's JobScaler.monitor_stop_signals does:
 * RunPod holds the call open until it wants jobs stopped (a cancel, an execution timeout) and answers
 * `{"jobsToStop": [ids]}`; 204 means nothing to stop. Each id goes to `onStop`, which stops just that
 * job and leaves the others running. After an empty answer it waits `errorBackoffMs` (runpod-python's
 * floor, so a server that answers at once cannot make it spin), after 429 `tooManyRequestsBackoffMs`.
 */
export class StopListener {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly http: RunpodHttpClient,
    private readonly options: StopListenerOptions,
    private readonly onStop: (jobId: string) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        const ids = await this.poll(signal);
        for (const id of ids) this.onStop(id);
        if (ids.length === 0) await pause(this.options.errorBackoffMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof TooManyRequestsError) {
          await pause(this.options.tooManyRequestsBackoffMs, signal);
        } else if (isTimeout(err)) {
          this.log.debug('job-stop long poll timed out; asking again');
        } else {
          this.log.error({ err }, 'job-stop poll failed');
          await pause(this.options.errorBackoffMs, signal);
        }
      }
    }
  }

  private async poll(stop: AbortSignal): Promise<string[]> {
    const url = this.options.jobStopUrl;
    const response = await this.http.get(url, AbortSignal.any([stop, AbortSignal.timeout(this.options.longPollTimeoutMs)]));
    if (response.status === 204) {
      await discard(response);
      return [];
    }
    if (response.status === 429) {
      await discard(response);
      throw new TooManyRequestsError(url);
    }
    if (!response.ok) {
      await discard(response);
      throw new RunpodHttpError(response.status, url);
    }
    return parseStopSignals(await readJson(response), this.log);
  }
}
