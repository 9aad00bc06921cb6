import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for RunPod's control plane as a worker sees it, written from the protocol notes
 * (shared/NOTES.md, "RunPod, as runpod-python implements it"), not from RunPod code: job-take
 * (single and batch, long polls), job-done (results and progress), ping, job-stop (long poll). It
 * records every request it receives, with what it answered, and can refuse on demand (429 on takes,
 * 5xx on result posts), so tests assert on what a real worker process sent over real HTTP.
 *
 * URL layout (the worker only ever sees it through the env templates in `env`):
 *   GET  /v2/{endpoint}/job-take/{workerId}?gpu=..&job_in_progress=0|1
 *   GET  /v2/{endpoint}/job-take-batch/{workerId}?gpu=..&batch_size=N&job_in_progress=0|1
 *   POST /v2/{endpoint}/job-done/{workerId}/{jobId}?gpu=..&isStream=false
 *   GET  /v2/{endpoint}/ping/{workerId}?gpu=..&job_id=a,b&runpod_version=..
 *   GET  /v2/{endpoint}/job-stop/{workerId}?gpu=..
 */
export enum ControlPlaneCall {
  Take = 'job-take',
  TakeBatch = 'job-take-batch',
  Done = 'job-done',
  Ping = 'ping',
  Stop = 'job-stop',
  Unknown = 'unknown',
}

export interface ReceivedRequest {
  /** Order of arrival, from 1 (one counter for arrivals and answers). */
  seq: number;
  /** When it was answered, on the same counter as `seq`; 0 while held. A held long poll answers after later arrivals. */
  answeredSeq: number;
  call: ControlPlaneCall;
  method: string;
  path: string;
  workerId: string | undefined;
  /** job-done only: the job id in the path. */
  jobId: string | undefined;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The raw body and, when it is JSON, the parsed value. */
  rawBody: string;
  body: unknown;
  /** What the stand-in answered; 0 while a long poll is held, or when the worker gave up on it. */
  status: number;
  /** job-take: the ids of the jobs handed out; job-stop: the ids sent to stop. */
  jobIds: string[];
}

export interface ControlPlaneOptions {
  /** The key the worker must send bare in `Authorization`; anything else gets 401. */
  apiKey: string;
  /** @defaultValue "ep-test" */
  endpointId?: string;
  /** How long a job-take or job-stop long poll is held when there is nothing to hand out. @defaultValue 1000 */
  holdMs?: number;
}

interface QueuedJob {
  id: string;
  input: unknown;
}

interface HeldPoll {
  /** Answers now if there is something to hand out; returns whether it answered. */
  tryAnswer(): boolean;
  /** Answers 204 (hold expired or the stand-in closes). */
  expire(): void;
}

export class RunpodControlPlane {
  readonly requests: ReceivedRequest[] = [];
  private readonly queue: QueuedJob[] = [];
  private readonly stopIds: string[] = [];
  private readonly held = new Set<HeldPoll>();
  private readonly listeners = new Set<() => void>();
  private takeRefusals: number[] = [];
  private doneRefusals: number[] = [];
  private seq = 0;
  private baseUrl = '';
  private readonly endpointId: string;
  private readonly holdMs: number;
  private readonly server: Server;

  private constructor(private readonly options: ControlPlaneOptions) {
    this.endpointId = options.endpointId ?? 'ep-test';
    this.holdMs = options.holdMs ?? 1000;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: ControlPlaneOptions): Promise<RunpodControlPlane> {
    const plane = new RunpodControlPlane(options);
    await new Promise<void>((resolve, reject) => {
      plane.server.once('error', reject);
      plane.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = plane.server.address() as AddressInfo;
    plane.baseUrl = `http://127.0.0.1:${port}/v2/${plane.endpointId}`;
    return plane;
  }

  /** The variables RunPod sets in a serverless container, pointing at this stand-in. */
  get env(): Record<string, string> {
    return {
      RUNPOD_WEBHOOK_GET_JOB: `${this.baseUrl}/job-take/$ID?gpu=TEST_GPU`,
      RUNPOD_WEBHOOK_POST_OUTPUT: `${this.baseUrl}/job-done/$RUNPOD_POD_ID/$ID?gpu=TEST_GPU`,
      RUNPOD_WEBHOOK_PING: `${this.baseUrl}/ping/$RUNPOD_POD_ID?gpu=TEST_GPU`,
      RUNPOD_AI_API_KEY: this.options.apiKey,
    };
  }

  /** Puts a job in the endpoint's queue; returns its id. */
  enqueue(input: unknown): string {
    return this.enqueueAll([input])[0]!;
  }

  /** Puts several jobs in the queue at once (a held batch take gets them all); returns their ids. */
  enqueueAll(inputs: readonly unknown[]): string[] {
    const jobs = inputs.map((input) => ({ id: randomUUID(), input }));
    this.queue.push(...jobs);
    this.wakeHeld();
    return jobs.map((j) => j.id);
  }

  /** Asks the worker, through the job-stop long poll, to stop these jobs. */
  stopJobs(...ids: string[]): void {
    this.stopIds.push(...ids);
    this.wakeHeld();
  }

  /** The next `times` job-take calls (single or batch) get `status` and no job. */
  refuseTakes(times: number, status = 429): void {
    this.takeRefusals.push(...Array.from({ length: times }, () => status));
  }

  /** The next `times` job-done posts of final results (not progress updates) get `status` and are not accepted. */
  refuseResults(times: number, status = 500): void {
    this.doneRefusals.push(...Array.from({ length: times }, () => status));
  }

  /** The counter `seq` and `answeredSeq` are read from: anything arriving later has a larger `seq`. */
  get clock(): number {
    return this.seq;
  }

  /** Jobs enqueued and not taken yet. */
  get queuedJobIds(): string[] {
    return this.queue.map((j) => j.id);
  }

  /** Requests received so far of one kind. */
  calls(call: ControlPlaneCall): ReceivedRequest[] {
    return this.requests.filter((r) => r.call === call);
  }

  /** Every job-done post for one job, in order of arrival. */
  donePosts(jobId: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.call === ControlPlaneCall.Done && r.jobId === jobId);
  }

  /** The accepted final result of a job (a job-done post that is not a progress update), if any. */
  result(jobId: string): ReceivedRequest | undefined {
    return this.donePosts(jobId).find((r) => r.status === 200 && !isProgress(r.body));
  }

  /**
   * Resolves with the first recorded request that matches, waiting for one to arrive. Rejects
   * after `timeoutMs` listing what arrived: a deadline for a test that would otherwise hang, not a
   * timing assertion.
   */
  async waitFor(match: (r: ReceivedRequest) => boolean, what: string, timeoutMs = 15_000): Promise<ReceivedRequest> {
    const found = this.requests.find(match);
    if (found) return found;
    return new Promise<ReceivedRequest>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        const seen = this.requests.map((r) => `${r.seq} ${r.call} ${r.status} ${r.jobId ?? ''}${r.jobIds.join(',')}`);
        reject(new Error(`timed out waiting for ${what}; received:\n${seen.join('\n')}`));
      }, timeoutMs);
      const check = (): void => {
        const hit = this.requests.find(match);
        if (!hit) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(hit);
      };
      this.listeners.add(check);
    });
  }

  /** Waits for the accepted final result of a job. */
  async waitForResult(jobId: string, timeoutMs?: number): Promise<ReceivedRequest> {
    return this.waitFor(
      (r) => r.call === ControlPlaneCall.Done && r.jobId === jobId && r.status === 200 && !isProgress(r.body),
      `the result of ${jobId}`,
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    for (const poll of [...this.held]) poll.expire();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : (JSON.parse(rawBody) as unknown);
    } catch {
      body = undefined;
    }
    const prefix = new URL(this.baseUrl).pathname;
    const rest = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length + 1).split('/') : [];
    const [segment, workerId, jobId] = rest;
    const call = (Object.values(ControlPlaneCall) as string[]).includes(segment ?? '')
      ? (segment as ControlPlaneCall)
      : ControlPlaneCall.Unknown;
    const record: ReceivedRequest = {
      seq: ++this.seq,
      call,
      method: req.method ?? '',
      path: url.pathname,
      workerId: workerId === undefined ? undefined : decodeURIComponent(workerId),
      jobId: call === ControlPlaneCall.Done && jobId !== undefined ? decodeURIComponent(jobId) : undefined,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody,
      body,
      status: 0,
      answeredSeq: 0,
      jobIds: [],
    };
    // Recorded on arrival, so "no job-take arrived after SIGTERM" holds for polls still held too.
    this.requests.push(record);
    const answer = (status: number, json?: unknown): void => {
      record.status = status;
      record.answeredSeq = ++this.seq;
      const text = json === undefined ? '' : JSON.stringify(json);
      res.writeHead(
        status,
        json === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      );
      res.end(text);
      for (const listener of [...this.listeners]) listener();
    };

    if (req.headers.authorization !== this.options.apiKey) return answer(401, { error: 'unauthorized' });
    const expectedMethod = call === ControlPlaneCall.Done ? 'POST' : 'GET';
    if (call === ControlPlaneCall.Unknown || req.method !== expectedMethod || !workerId || workerId.includes('$'))
      return answer(404, { error: 'no such route' });

    switch (call) {
      case ControlPlaneCall.Take:
      case ControlPlaneCall.TakeBatch: {
        const refusal = this.takeRefusals.shift();
        if (refusal !== undefined) return answer(refusal, { error: 'refused by the stand-in' });
        const batch = call === ControlPlaneCall.TakeBatch;
        const size = batch ? Number(url.searchParams.get('batch_size')) : 1;
        if (!Number.isInteger(size) || size < 1) return answer(400, { error: 'batch_size must be a positive integer' });
        return this.hold(res, answer, () => {
          if (this.queue.length === 0) return false;
          const jobs = this.queue.splice(0, size);
          record.jobIds = jobs.map((j) => j.id);
          answer(200, batch ? jobs : jobs[0]);
          return true;
        });
      }
      case ControlPlaneCall.Stop:
        return this.hold(res, answer, () => {
          if (this.stopIds.length === 0) return false;
          record.jobIds = this.stopIds.splice(0);
          answer(200, { jobsToStop: record.jobIds });
          return true;
        });
      case ControlPlaneCall.Done: {
        const refusal = isProgress(body) ? undefined : this.doneRefusals.shift();
        if (refusal !== undefined) return answer(refusal, { error: 'refused by the stand-in' });
        return answer(200, {});
      }
      case ControlPlaneCall.Ping:
        return answer(200, {});
    }
  }

  /** A long poll: answers at once if it can, else when woken, else 204 after `holdMs`. */
  private hold(res: ServerResponse, answer: (status: number) => void, tryAnswer: () => boolean): void {
    if (tryAnswer()) return;
    // `poll` is read only when the timer fires, after it is initialised.
    const timer = setTimeout(() => poll.expire(), this.holdMs);
    const poll: HeldPoll = {
      tryAnswer: () => {
        if (!tryAnswer()) return false;
        this.held.delete(poll);
        clearTimeout(timer);
        return true;
      },
      expire: () => {
        this.held.delete(poll);
        clearTimeout(timer);
        answer(204);
      },
    };
    this.held.add(poll);
    // A worker that gave up on the poll (shutdown) must not be handed a job it will never read.
    res.on('close', () => {
      if (!res.writableEnded && this.held.delete(poll)) clearTimeout(timer);
    });
  }

  private wakeHeld(): void {
    for (const poll of [...this.held]) poll.tryAnswer();
  }
}

export function isProgress(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'IN_PROGRESS';
}
