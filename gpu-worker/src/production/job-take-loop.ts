import type { Logger } from 'pino';
import type { InFlightJobs } from './in-flight-jobs';
import { isTimeout, pause } from './pause';
import { discard, readJson, redact, RunpodHttpError, TooManyRequestsError, type RunpodHttpClient } from './runpod-http';
import { jobTakeRequestUrl } from './runpod-urls';

/** A job as RunPod hands it out. Other fields RunPod may add are ignored. */
export interface TakenJob {
  id: string;
  input: unknown;
}

export interface JobTakeLoopOptions {
  /** The job-take URL, worker id in place. */
  jobTakeUrl: string;
  longPollTimeoutMs: number;
  tooManyRequestsBackoffMs: number;
  errorBackoffMs: number;
}

const isTakenJob = (v: unknown): v is TakenJob =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { id?: unknown }).id === 'string' &&
  (v as { input?: unknown }).input !== undefined;

/**
 * Reads a job-take answer as runpod-python's `get_job` does: an object is one job (the single take)
 * and must have `id` and `input`; a list is a batch. Entries without them are dropped with a log line.
 */
export function parseTakenJobs(body: unknown, log: Logger): TakenJob[] {
  if (body === undefined || body === null) return [];
  if (Array.isArray(body)) {
    const jobs = body.filter(isTakenJob);
    if (jobs.length !== body.length)
      log.error({ dropped: body.length - jobs.length }, 'job-take batch held entries without id or input');
    return jobs;
  }
  if (isTakenJob(body)) return [body];
  log.error('job-take answered a job without id or input');
  return [];
}

/**
 * Takes jobs from RunPod by long polling, as runpod-python's JobScaler.get_jobs does: ask for as
 * many jobs as there are free slots (`/job-take/` for one, `/job-take-batch/?batch_size=N` for
 * more), tell RunPod whether jobs are still in progress (`job_in_progress=0|1`), and hand every job
 * received to `onJobs`, which must count it in `inFlight` before returning. 204 (and 400, which
 * RunPod sends with FlashBoot) mean no job: ask again at once, the next call is again a long poll.
 * 429 pauses `tooManyRequestsBackoffMs`. With no free slot it waits for one instead of polling.
 */
export class JobTakeLoop {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly http: RunpodHttpClient,
    private readonly options: JobTakeLoopOptions,
    private readonly inFlight: InFlightJobs,
    private readonly onJobs: (jobs: TakenJob[]) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Takes no more jobs: aborts the long poll in flight and resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await this.inFlight.whenFree(signal);
      if (signal.aborted) break;
      try {
        const jobs = await this.take(this.inFlight.free, signal);
        if (jobs.length > 0) this.onJobs(jobs);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof TooManyRequestsError) {
          this.log.warn({ backoffMs: this.options.tooManyRequestsBackoffMs }, 'job-take answered 429: backing off');
          await pause(this.options.tooManyRequestsBackoffMs, signal);
        } else if (isTimeout(err)) {
          this.log.debug('job-take long poll timed out; asking again');
        } else {
          this.log.error({ err }, 'could not take jobs');
          await pause(this.options.errorBackoffMs, signal);
        }
      }
    }
  }

  private async take(batchSize: number, stop: AbortSignal): Promise<TakenJob[]> {
    const url = jobTakeRequestUrl(this.options.jobTakeUrl, batchSize, this.inFlight.size > 0);
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.options.longPollTimeoutMs)]);
    const response = await this.http.get(url, signal);
    if (response.status === 204 || response.status === 400) {
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
    const jobs = parseTakenJobs(await readJson(response), this.log);
    this.log.debug({ url: redact(url), jobs: jobs.map((j) => j.id) }, 'jobs taken');
    return jobs;
  }
}
