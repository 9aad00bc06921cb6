import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { FINAL_RUNPOD_STATUSES, RunpodJobStatus, type RunpodJobState, type RunpodRunRequest } from '../../../src/runpod/protocol';
import type { JobRecord } from '../jobs/job-record';
import { NotAcceptingJobsError, QueueFullError, type JobRunner } from '../jobs/job-runner';

export interface EndpointServerOptions {
  host: string;
  port: number;
  /** Requests must carry it (`Authorization: Bearer <key>` or the bare key, as RunPod accepts). Unset: no check. */
  apiKey: string | undefined;
  /** Largest request body; RunPod allows 10 MB on /run and 20 MB on /runsync. @defaultValue 20 MB */
  maxBodyBytes: number;
  /** Longest /runsync and /status-sync wait. @defaultValue 90000 */
  maxWaitMs: number;
  /**
   * Longest wait of GET /stream/{id} for a new item or the job's end. runpod-sdk's `stream` asks
   * again at once after every answer, so an answer that never waits makes it spin. @defaultValue 5000
   */
  streamWaitMs: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (req: IncomingMessage, params: { endpointId: string; jobId: string }, url: URL) => Promise<[number, unknown]>;

/**
 * RunPod's serverless endpoint API served locally (`/v2/{endpointId}/...`), with RunPod's JSON
 * shapes, states and auth header, so that the Switchyard worker, runpod-sdk and curl scripts work
 * against a laptop exactly as against RunPod. Any endpoint id is accepted: this process is the one
 * endpoint. Besides RunPod's routes: GET /ping for liveness and GET /debug/stats for tests.
 */
export class EndpointServer {
  private server: Server | undefined;

  constructor(
    private readonly runner: JobRunner,
    private readonly options: EndpointServerOptions,
    private readonly log: Logger,
  ) {}

  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  /**
   * Stops listening and waits for the requests in flight (long polls end when their jobs do, so
   * drain the runner first). Keep-alive connections that go idle meanwhile are closed as they do:
   * `server.close()` only closes those idle when it is called, and a client's idle socket would
   * otherwise hold the process for `keepAliveTimeout`.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(sweeper);
  }

  private readonly routes: Array<[string, RegExp, Handler]> = [
    ['POST', /^\/v2\/([^/]+)\/run$/, (req) => this.run(req)],
    ['POST', /^\/v2\/([^/]+)\/runsync$/, (req, _p, url) => this.runSync(req, url)],
    ['GET', /^\/v2\/([^/]+)\/status\/([^/]+)$/, async (_r, p) => [200, this.stateOf(this.job(p.jobId))]],
    ['POST', /^\/v2\/([^/]+)\/status\/([^/]+)$/, async (_r, p) => [200, this.stateOf(this.job(p.jobId))]],
    ['GET', /^\/v2\/([^/]+)\/status-sync\/([^/]+)$/, (_r, p, url) => this.statusSync(p.jobId, url)],
    ['POST', /^\/v2\/([^/]+)\/status-sync\/([^/]+)$/, (_r, p, url) => this.statusSync(p.jobId, url)],
    ['GET', /^\/v2\/([^/]+)\/stream\/([^/]+)$/, async (_r, p) => [200, await this.stream(p.jobId)]],
    ['POST', /^\/v2\/([^/]+)\/stream\/([^/]+)$/, async (_r, p) => [200, await this.stream(p.jobId)]],
    ['POST', /^\/v2\/([^/]+)\/cancel\/([^/]+)$/, async (_r, p) => [200, this.cancel(p.jobId)]],
    ['POST', /^\/v2\/([^/]+)\/retry\/([^/]+)$/, async (_r, p) => [200, this.retry(p.jobId)]],
    ['GET', /^\/v2\/([^/]+)\/health$/, async () => [200, this.runner.health()]],
    ['POST', /^\/v2\/([^/]+)\/purge-queue$/, async () => [200, { removed: this.runner.purgeQueue(), status: 'completed' }]],
  ];

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' && url.pathname === '/ping') return send(res, 200, { status: 'ok' });
      if (req.method === 'GET' && url.pathname === '/debug/stats') {
        this.authorize(req);
        return send(res, 200, this.runner.stats());
      }
      for (const [method, pattern, handler] of this.routes) {
        const m = pattern.exec(url.pathname);
        if (!m) continue;
        if (req.method !== method) continue;
        this.authorize(req);
        const [status, body] = await handler(req, { endpointId: m[1] ?? '', jobId: decodeURIComponent(m[2] ?? '') }, url);
        return send(res, status, body);
      }
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message });
      if (err instanceof QueueFullError) return send(res, 429, { error: err.message });
      if (err instanceof NotAcceptingJobsError) return send(res, 503, { error: err.message });
      this.log.error({ err }, 'request failed');
      return send(res, 500, { error: 'internal error' });
    }
  }

  private authorize(req: IncomingMessage): void {
    const key = this.options.apiKey;
    if (!key) return;
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : header);
    const expected = Buffer.from(key);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'Unauthorized');
  }

  private job(id: string): JobRecord {
    const job = this.runner.get(id);
    if (!job) throw new HttpError(404, `job ${id} not found`);
    return job;
  }

  private stateOf(job: JobRecord): RunpodJobState {
    const state: RunpodJobState = { id: job.id, status: job.status };
    if (job.startedAt !== undefined) state.delayTime = job.startedAt - job.createdAt;
    if (job.startedAt !== undefined && job.finishedAt !== undefined) state.executionTime = job.finishedAt - job.startedAt;
    if (job.output !== undefined) state.output = job.output;
    // RunPod shows a running job's latest progress update as its output.
    else if (job.status === RunpodJobStatus.InProgress && job.progress !== undefined) state.output = { progress: job.progress };
    if (job.error !== undefined) state.error = job.error;
    if (job.retries > 0) state.retries = job.retries;
    if (job.startedAt !== undefined) state.workerId = this.runner.workerId;
    return state;
  }

  private async readRequest(req: IncomingMessage): Promise<RunpodRunRequest> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.options.maxBodyBytes) throw new HttpError(413, `request body over ${this.options.maxBodyBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpError(400, 'request body must be JSON');
    }
    if (typeof body !== 'object' || body === null || !('input' in body)) throw new HttpError(400, 'request body needs "input"');
    return body as RunpodRunRequest;
  }

  private async run(req: IncomingMessage): Promise<[number, unknown]> {
    const job = this.runner.submit(await this.readRequest(req));
    return [200, { id: job.id, status: job.status }];
  }

  private waitMs(url: URL): number {
    const wait = Number(url.searchParams.get('wait') ?? this.options.maxWaitMs);
    return Number.isFinite(wait) ? Math.max(0, Math.min(wait, this.options.maxWaitMs)) : this.options.maxWaitMs;
  }

  private async waitFor(job: JobRecord, ms: number): Promise<void> {
    if (FINAL_RUNPOD_STATUSES.has(job.status)) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([job.settled, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    if (timer) clearTimeout(timer);
  }

  private async runSync(req: IncomingMessage, url: URL): Promise<[number, unknown]> {
    const job = this.runner.submit(await this.readRequest(req));
    await this.waitFor(job, this.waitMs(url));
    return [200, this.stateOf(this.runner.get(job.id) ?? job)];
  }

  private async statusSync(id: string, url: URL): Promise<[number, unknown]> {
    const job = this.job(id);
    await this.waitFor(job, this.waitMs(url));
    return [200, this.stateOf(this.runner.get(id) ?? job)];
  }

  private async stream(id: string): Promise<{ status: RunpodJobStatus; stream: unknown[] }> {
    let job = this.job(id);
    if (job.streamQueue.length === 0) {
      await this.waitFor(job, this.options.streamWaitMs);
      job = this.runner.get(id) ?? job;
    }
    return { status: job.status, stream: job.streamQueue.splice(0) };
  }

  private cancel(id: string): { id: string; status: RunpodJobStatus } {
    const job = this.runner.cancel(id);
    if (!job) throw new HttpError(404, `job ${id} not found`);
    return { id, status: FINAL_RUNPOD_STATUSES.has(job.status) ? job.status : RunpodJobStatus.Cancelled };
  }

  private retry(id: string): { id: string; status: RunpodJobStatus } {
    const job = this.runner.retry(id);
    if (!job) throw new HttpError(400, `job ${id} is not FAILED or TIMED_OUT, or does not exist`);
    return { id, status: job.status };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
