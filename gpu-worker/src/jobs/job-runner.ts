import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BlockHandler } from '../../../src/blocks/block-handler';
import { NodeErrorCode, NonRetryableNodeError, RetryableNodeError } from '../../../src/core/errors';
import { FINAL_RUNPOD_STATUSES, RunpodJobStatus, type RunpodHealth, type RunpodRunRequest } from '../../../src/runpod/protocol';
import type { JobNotifier } from '../notify/job-notifier';
import { executeBlockJob, parseBlockJobInput, toRunpodError } from './execute-block-job';
import type { JobObserver, JobRecord } from './job-record';
import { raceAbort } from '../../../src/util/race-abort';
import { ProgressThrottle } from './progress-throttle';

export interface JobRunnerOptions {
  /** Jobs executing at once. */
  concurrency: number;
  /** Jobs waiting at most; past it, submissions are refused (HTTP 429). */
  maxQueued: number;
  /** Finished jobs stay readable (/status) this long, as on RunPod. */
  retainFinishedMs: number;
  /** A job's progress goes out (notice, observer) at most once per this long. */
  progressIntervalMs: number;
  workerId: string;
}

/** One execution as the gpu-worker saw it: the record tests read to prove nothing ran twice. */
export interface ExecutionRecord {
  jobId: string;
  block: string;
  runId: string | undefined;
  nodeId: string | undefined;
  attempt: number | undefined;
  startedAt: number;
  finishedAt: number | undefined;
  status: RunpodJobStatus;
}

export class QueueFullError extends Error {
  constructor(limit: number) {
    super(`the queue holds its limit of ${limit} jobs; try again later`);
    this.name = 'QueueFullError';
  }
}

/** The runner is draining (SIGTERM): it finishes what it has and takes nothing new. */
export class NotAcceptingJobsError extends Error {
  constructor() {
    super('this worker is shutting down and takes no new jobs');
    this.name = 'NotAcceptingJobsError';
  }
}

const MAX_EXECUTION_RECORDS = 100_000;

/**
 * Runs jobs the way a RunPod endpoint does: a FIFO queue, `concurrency` jobs in progress, per-job
 * cancel and execution timeout, finished jobs kept for a while for /status. Everything the local
 * endpoint API and the production (RunPod) loop need, with no HTTP in it.
 */
export class JobRunner {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: JobRecord[] = [];
  private running = 0;
  private accepting = true;
  private readonly counters = { completed: 0, failed: 0, retried: 0 };
  private readonly executions: ExecutionRecord[] = [];
  private readonly activeByBlock = new Map<string, number>();
  private readonly maxActiveByBlock = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];
  private pumpScheduled = false;

  constructor(
    private readonly handlers: ReadonlyMap<string, BlockHandler>,
    private readonly options: JobRunnerOptions,
    private readonly notifier: JobNotifier,
    private readonly log: Logger,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, options.retainFinishedMs / 4)));
    this.sweeper.unref();
  }

  get workerId(): string {
    return this.options.workerId;
  }

  /**
   * Queues a job. `id` is RunPod's in production mode; a job already held under that id that is
   * not final is returned as it is (RunPod delivered it twice), never run twice at once.
   */
  submit(request: RunpodRunRequest, id: string = randomUUID(), observer?: JobObserver): JobRecord {
    if (!this.accepting) throw new NotAcceptingJobsError();
    const held = this.jobs.get(id);
    if (held && !FINAL_RUNPOD_STATUSES.has(held.status)) return held;
    if (this.queue.length >= this.options.maxQueued) throw new QueueFullError(this.options.maxQueued);
    const job = this.newRecord(id, request, observer);
    this.jobs.set(id, job);
    this.queue.push(job);
    this.schedulePump();
    return job;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  cancel(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (!job || FINAL_RUNPOD_STATUSES.has(job.status)) return job;
    if (job.status === RunpodJobStatus.InQueue) {
      const at = this.queue.indexOf(job);
      if (at !== -1) this.queue.splice(at, 1);
      this.finish(job, RunpodJobStatus.Cancelled, undefined, undefined);
      this.wakeIfIdle();
    } else {
      job.controller?.abort(new NonRetryableNodeError(NodeErrorCode.Cancelled, 'job cancelled'));
    }
    return job;
  }

  /** Puts a FAILED or TIMED_OUT job back in the queue (RunPod's /retry); undefined when it may not. */
  retry(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (!job || (job.status !== RunpodJobStatus.Failed && job.status !== RunpodJobStatus.TimedOut)) return undefined;
    if (!this.accepting) throw new NotAcceptingJobsError();
    const again = this.newRecord(
      id,
      { input: job.input, ...(job.policy ? { policy: job.policy } : {}), ...(job.webhook ? { webhook: job.webhook } : {}) },
      job.observer,
    );
    again.retries = job.retries + 1;
    this.counters.retried += 1;
    this.jobs.set(id, again);
    this.queue.push(again);
    this.schedulePump();
    return again;
  }

  /** Removes every job still waiting (RunPod's /purge-queue); returns how many. */
  purgeQueue(): number {
    const removed = this.queue.splice(0);
    for (const job of removed) this.finish(job, RunpodJobStatus.Cancelled, undefined, undefined);
    this.wakeIfIdle();
    return removed.length;
  }

  /** Drops a final job's record at once (production mode, after RunPod has its result): inputs can be large. */
  forget(id: string): void {
    const job = this.jobs.get(id);
    if (job && FINAL_RUNPOD_STATUSES.has(job.status)) this.jobs.delete(id);
  }

  /** RunPod's /health from the real counts; this process is one worker, busy while any job runs. */
  health(): RunpodHealth {
    const ready = this.accepting && this.running < this.options.concurrency ? 1 : 0;
    return {
      jobs: {
        completed: this.counters.completed,
        failed: this.counters.failed,
        inProgress: this.running,
        inQueue: this.queue.length,
        retried: this.counters.retried,
      },
      workers: {
        idle: this.accepting && this.running === 0 ? 1 : 0,
        initializing: 0,
        ready,
        running: this.running > 0 ? 1 : 0,
        throttled: 0,
        unhealthy: 0,
      },
    };
  }

  /** The execution ledger and the most jobs of each block seen executing at once. */
  stats(): { executions: readonly ExecutionRecord[]; maxConcurrentByBlock: Record<string, number> } {
    return { executions: this.executions, maxConcurrentByBlock: Object.fromEntries(this.maxActiveByBlock) };
  }

  /** Stops accepting jobs and waits for the queued and running ones to finish. */
  async drain(): Promise<void> {
    this.accepting = false;
    if (this.running > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    clearInterval(this.sweeper);
  }

  /** Resolves drain() once nothing runs or waits (after the last job, a purge, or cancelling the last queued job). */
  private wakeIfIdle(): void {
    if (this.running === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private newRecord(id: string, request: RunpodRunRequest, observer: JobObserver | undefined): JobRecord {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    return {
      id,
      status: RunpodJobStatus.InQueue,
      input: request.input,
      policy: request.policy,
      webhook: request.webhook,
      createdAt: Date.now(),
      startedAt: undefined,
      finishedAt: undefined,
      output: undefined,
      error: undefined,
      retries: 0,
      progress: undefined,
      streamQueue: [],
      controller: undefined,
      observer,
      settled,
      settle,
    };
  }

  /**
   * Starts queued jobs on the next turn of the event loop, not inside `submit`: the caller (POST
   * /run) answers IN_QUEUE, as RunPod does, and a burst of submissions is queued before any starts.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const job = this.queue.shift() as JobRecord;
      this.running += 1;
      void this.execute(job).finally(() => {
        this.running -= 1;
        this.pump();
        this.wakeIfIdle();
      });
    }
  }

  private async execute(job: JobRecord): Promise<void> {
    job.status = RunpodJobStatus.InProgress;
    job.startedAt = Date.now();
    const controller = new AbortController();
    job.controller = controller;
    const timeoutMs = job.policy?.executionTimeout;
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new TimeoutMarker(timeoutMs)), timeoutMs);

    const progress = new ProgressThrottle(this.options.progressIntervalMs, (p) => {
      // On Redis only progress short of the end: the final notice follows at once, and every notice
      // wakes every Switchyard worker.
      if (p < 1) this.notifier.notify({ id: job.id, status: RunpodJobStatus.InProgress, output: { progress: p } });
      job.observer?.onProgress(p);
    });
    let block = 'unknown';
    let record: ExecutionRecord | undefined;
    try {
      const parsed = parseBlockJobInput(job.input);
      block = parsed.block;
      record = {
        jobId: job.id,
        block,
        runId: parsed.meta?.runId,
        nodeId: parsed.meta?.nodeId,
        attempt: parsed.meta?.attempt,
        startedAt: job.startedAt,
        finishedAt: undefined,
        status: RunpodJobStatus.InProgress,
      };
      this.recordExecution(record);
      this.adjustActive(block, +1);
      const result = await raceAbort(
        executeBlockJob(this.handlers, parsed, {
          signal: controller.signal,
          reportProgress: (p) => {
            if (FINAL_RUNPOD_STATUSES.has(job.status)) return;
            job.progress = p;
            progress.report(p);
          },
        }),
        controller.signal,
      );
      this.finish(job, RunpodJobStatus.Completed, result, undefined);
    } catch (err) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof TimeoutMarker) {
        this.finish(
          job,
          RunpodJobStatus.TimedOut,
          undefined,
          toRunpodError(new RetryableNodeError(NodeErrorCode.Timeout, reason.message), this.options.workerId),
        );
      } else if (reason instanceof NonRetryableNodeError && reason.code === NodeErrorCode.Cancelled) {
        this.finish(job, RunpodJobStatus.Cancelled, undefined, undefined);
      } else {
        this.finish(job, RunpodJobStatus.Failed, undefined, toRunpodError(reason, this.options.workerId));
      }
    } finally {
      progress.close();
      if (timer) clearTimeout(timer);
      if (record) {
        record.finishedAt = Date.now();
        record.status = job.status;
        this.adjustActive(block, -1);
      }
    }
  }

  private finish(job: JobRecord, status: RunpodJobStatus, output: unknown, error: string | undefined): void {
    if (FINAL_RUNPOD_STATUSES.has(job.status)) return;
    job.status = status;
    job.finishedAt = Date.now();
    job.output = output;
    job.error = error;
    job.controller = undefined;
    if (output !== undefined) job.streamQueue.push({ output });
    if (status === RunpodJobStatus.Completed) this.counters.completed += 1;
    else if (status === RunpodJobStatus.Failed || status === RunpodJobStatus.TimedOut) this.counters.failed += 1;
    job.settle();
    const notice = { id: job.id, status, ...(output === undefined ? {} : { output }), ...(error === undefined ? {} : { error }) };
    this.notifier.notify(notice);
    if (job.webhook) void this.callWebhook(job.webhook, notice);
  }

  private async callWebhook(url: string, body: unknown): Promise<void> {
    try {
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      this.log.warn({ err, url }, 'webhook call failed');
    }
  }

  private recordExecution(record: ExecutionRecord): void {
    this.executions.push(record);
    if (this.executions.length > MAX_EXECUTION_RECORDS) this.executions.splice(0, this.executions.length - MAX_EXECUTION_RECORDS);
  }

  private adjustActive(block: string, delta: number): void {
    const now = (this.activeByBlock.get(block) ?? 0) + delta;
    this.activeByBlock.set(block, now);
    if (now > (this.maxActiveByBlock.get(block) ?? 0)) this.maxActiveByBlock.set(block, now);
  }

  private sweep(): void {
    const horizon = Date.now() - this.options.retainFinishedMs;
    for (const [id, job] of this.jobs) if (job.finishedAt !== undefined && job.finishedAt < horizon) this.jobs.delete(id);
  }
}

class TimeoutMarker {
  readonly message: string;
  constructor(ms: number) {
    this.message = `execution timeout of ${ms} ms exceeded`;
  }
}
