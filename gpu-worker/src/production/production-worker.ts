import type { Logger } from 'pino';
import { LifecyclePhase } from '../../../src/lifecycle';
import { UnreachableCaseError } from '../../../src/core/unreachable';
import { RunpodJobStatus } from '../../../src/runpod/protocol';
import { toRunpodError } from '../jobs/execute-block-job';
import type { JobRecord } from '../jobs/job-record';
import type { JobRunner } from '../jobs/job-runner';
import { Heartbeat } from './heartbeat';
import { InFlightJobs } from './in-flight-jobs';
import { JobTakeLoop, type TakenJob } from './job-take-loop';
import type { ProductionOptions } from './production-options';
import { ResultPoster, type JobDoneBody } from './result-poster';
import { RunpodHttpClient } from './runpod-http';
import { StopListener } from './stop-listener';

/**
 * What RunPod gets back for a job in a final state: `{"output": ...}` or `{"error": "<JSON>"}`, as
 * runpod-python's run_job returns them. A stopped job gets nothing: RunPod asked for the stop and
 * already counts the job as cancelled or timed out (runpod-python cancels the task and posts nothing).
 */
export function jobDoneBody(job: JobRecord, workerId: string): JobDoneBody | undefined {
  const status = job.status;
  switch (status) {
    case RunpodJobStatus.Completed:
      return { output: job.output };
    case RunpodJobStatus.Failed:
    case RunpodJobStatus.TimedOut:
      return { error: job.error ?? toRunpodError(new Error(`job ended ${status} without an error`), workerId) };
    case RunpodJobStatus.Cancelled:
      return undefined;
    case RunpodJobStatus.InQueue:
    case RunpodJobStatus.InProgress:
      throw new Error(`job ${job.id} is not final (${status})`);
    default:
      throw new UnreachableCaseError(status);
  }
}

/**
 * The gpu-worker inside a RunPod serverless container: takes jobs from RunPod (job-take loop), runs
 * them on the same JobRunner and block handlers as local mode, posts their progress and results
 * (result poster), pings (heartbeat) and stops single jobs when RunPod says so (stop listener).
 * `drain()` (SIGTERM) takes no new job, finishes and reports every job it holds, then stops.
 */
export class ProductionWorker {
  private phase: LifecyclePhase = LifecyclePhase.Starting;
  private readonly inFlight: InFlightJobs;
  private readonly takeLoop: JobTakeLoop;
  private readonly poster: ResultPoster;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly stopListener: StopListener | undefined;

  constructor(
    private readonly runner: JobRunner,
    private readonly options: ProductionOptions,
    /** Jobs held at once (taken and not yet reported). */
    capacity: number,
    private readonly log: Logger,
  ) {
    const http = new RunpodHttpClient(options.apiKey);
    this.inFlight = new InFlightJobs(capacity);
    this.takeLoop = new JobTakeLoop(http, options, this.inFlight, (jobs) => this.accept(jobs), log);
    this.poster = new ResultPoster(http, options, log);
    this.heartbeat = options.pingUrl
      ? new Heartbeat(http, { pingUrl: options.pingUrl, intervalMs: options.pingIntervalMs }, () => this.inFlight.list(), log)
      : undefined;
    this.stopListener = options.jobStopUrl
      ? new StopListener(http, { ...options, jobStopUrl: options.jobStopUrl }, (id) => this.stopJob(id), log)
      : undefined;
  }

  get lifecyclePhase(): LifecyclePhase {
    return this.phase;
  }

  start(): void {
    if (this.phase !== LifecyclePhase.Starting) return;
    this.phase = LifecyclePhase.Running;
    if (!this.heartbeat) this.log.warn('RUNPOD_WEBHOOK_PING is not set: no heartbeat');
    if (!this.stopListener) this.log.warn('the job-take URL has no /job-take/ segment: per-job stop is off');
    this.heartbeat?.start();
    this.stopListener?.start();
    this.takeLoop.start();
  }

  /** Stops taking jobs, finishes and reports the ones held, then stops pinging and listening. */
  async drain(): Promise<void> {
    const phase = this.phase;
    switch (phase) {
      case LifecyclePhase.Starting:
        this.phase = LifecyclePhase.Stopped;
        return;
      case LifecyclePhase.Draining:
      case LifecyclePhase.Stopped:
        return;
      case LifecyclePhase.Running:
        break;
      default:
        throw new UnreachableCaseError(phase);
    }
    this.phase = LifecyclePhase.Draining;
    this.log.info({ held: this.inFlight.list() }, 'draining: no new jobs; finishing the jobs held');
    await this.takeLoop.stop();
    // Pings go on meanwhile, naming the held jobs, so RunPod does not hand them to another worker;
    // stop signals still reach them.
    await this.inFlight.whenEmpty();
    await this.stopListener?.stop();
    await this.heartbeat?.stop();
    await this.runner.drain();
    this.phase = LifecyclePhase.Stopped;
  }

  private accept(jobs: TakenJob[]): void {
    for (const job of jobs) {
      if (this.inFlight.has(job.id)) {
        this.log.warn({ jobId: job.id }, 'RunPod handed out a job this worker already holds; ignoring the copy');
        continue;
      }
      this.inFlight.add(job.id);
      void this.handle(job);
    }
  }

  private async handle(job: TakenJob): Promise<void> {
    try {
      let body: JobDoneBody | undefined;
      try {
        const record = this.runner.submit({ input: job.input }, job.id, {
          onProgress: (progress) => this.poster.progress(job.id, { progress }),
        });
        await record.settled;
        body = jobDoneBody(this.runner.get(job.id) ?? record, this.runner.workerId);
      } catch (err) {
        // The runner refused the job (queue limit): RunPod still needs an answer.
        body = { error: toRunpodError(err, this.runner.workerId) };
      }
      if (body) await this.poster.result(job.id, body);
      else await this.poster.discard(job.id);
      this.runner.forget(job.id);
    } catch (err) {
      this.log.error({ err, jobId: job.id }, 'handling a RunPod job failed');
    } finally {
      this.inFlight.delete(job.id);
    }
  }

  private stopJob(id: string): void {
    if (!this.inFlight.has(id)) {
      this.log.debug({ jobId: id }, 'stop signal for a job this worker does not hold');
      return;
    }
    this.log.info({ jobId: id }, 'RunPod stopped the job');
    this.runner.cancel(id);
  }
}
