/** @jest-environment ./test/gpu-worker/support/native-import-environment.js */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/keys';
import { freePort } from '../../src/stack/free-port';
import type { ManagedChild } from '../../src/stack/child-process';
import type { RunpodErrorPayload, RunpodJobNotice } from '../../src/runpod/protocol';
import { waitFor } from '../support/wait-for';
import { processGroupAlive, startGpuWorker } from './support/gpu-worker-process';
import { loadRunpodSdk, type RunpodEndpoint, type RunpodSdkFactory } from './support/runpod-sdk';

/**
 * The compiled gpu-worker in local mode as a real process, driven by RunPod's own JS client
 * (`runpod-sdk`, unchanged) pointed at it with `baseUrl`. Jobs are `debug.sleep`: no model loads.
 * Tests share one worker (two jobs at once) and run in order. It publishes its notices on Redis
 * under a prefix of its own (REDIS_URL, default 127.0.0.1:6379), as it does for the Switchyard worker.
 */

const sleepJob = (ms: number, failTimes = 0) => ({
  block: 'debug.sleep',
  config: { ms, failTimes },
  inputs: {},
  meta: { runId: 'run-1', nodeId: `sleep-${ms}`, attempt: 1 },
});

interface JobState {
  id: string;
  status: string;
  output?: unknown;
  error?: string;
  retries?: number;
}

const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

describe('local mode: runpod-sdk against the local endpoint API', () => {
  const apiKey = `rp_${randomBytes(12).toString('hex')}`;
  let worker: ManagedChild;
  let runpodSdk: RunpodSdkFactory;
  let endpoint: RunpodEndpoint;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `sytest:gpu-${randomBytes(6).toString('hex')}:`; // pub/sub only: no keys to clean up
  const channel = new RedisKeys(redisPrefix).runpodJobChannel();
  const notices: RunpodJobNotice[] = [];
  let subscriber: Redis;
  let origin: string;
  let base: string;

  const status = async (id: string): Promise<JobState> => (await endpoint.status(id)) as JobState;
  const settled = async (id: string): Promise<JobState> =>
    waitFor(
      () => status(id),
      (s) => FINAL.includes(s.status),
      15_000,
    );
  const raw = async (method: string, path: string, key = apiKey): Promise<Response> =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    runpodSdk = await loadRunpodSdk();
    subscriber = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    subscriber.on('message', (_channel: string, message: string) => notices.push(JSON.parse(message) as RunpodJobNotice));
    await subscriber.subscribe(channel);
    const port = await freePort();
    worker = await startGpuWorker({
      GPU_WORKER_PORT: String(port),
      RUNPOD_API_KEY: apiKey,
      GPU_WORKER_CONCURRENCY: '2',
      REDIS_URL: redisUrl,
      SWITCHYARD_REDIS_PREFIX: redisPrefix,
    });
    origin = `http://127.0.0.1:${port}`;
    base = `${origin}/v2/switchyard`;
    endpoint = runpodSdk(apiKey, { baseUrl: `http://127.0.0.1:${port}/v2` }).endpoint('switchyard')!;
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await subscriber?.quit();
  });

  test('run, then status until COMPLETED', async () => {
    const queued = await endpoint.run({ input: sleepJob(50) });
    expect(queued).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });

    const done = (await settled(queued.id)) as JobState & Record<string, unknown>;
    expect(done).toMatchObject({
      id: queued.id,
      status: 'COMPLETED',
      output: { outputs: { sleptMs: expect.any(Number), attempt: 1 } },
    });
    // runpod-sdk's own reading of the answer.
    expect(done).toMatchObject({ started: true, completed: true, succeeded: true });
    expect(done.delayTime).toEqual(expect.any(Number));
    expect(done.executionTime).toEqual(expect.any(Number));
  });

  test('progress short of the end and the final state are published on Redis, progress first', async () => {
    // 600 ms sleeps in 250 ms steps: progress at 250 and 500 ms (throttled by the runner), then the end.
    const { id } = await endpoint.run({ input: sleepJob(600) });
    const mine = await waitFor(
      async () => notices.filter((n) => n.id === id),
      (n) => n.some((x) => x.status === 'COMPLETED'),
    );
    const progress = mine.filter((n) => n.status === 'IN_PROGRESS');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const n of progress) expect((n.output as { progress: number }).progress).toBeLessThan(1);
    expect(mine.at(-1)).toEqual({ id, status: 'COMPLETED', output: { outputs: { sleptMs: expect.any(Number), attempt: 1 } } });
    // a short job goes straight to its final notice: progress 1 would say nothing new
    const quick = await endpoint.run({ input: sleepJob(20) });
    const quickNotices = await waitFor(
      async () => notices.filter((n) => n.id === quick.id),
      (n) => n.some((x) => x.status === 'COMPLETED'),
    );
    expect(quickNotices.map((n) => n.status)).toEqual(['COMPLETED']);
  });

  test('runSync: /runsync, and /status-sync when the job outlasts the runsync wait', async () => {
    const quick = await endpoint.runSync({ input: sleepJob(20) });
    expect(quick).toMatchObject({ status: 'COMPLETED', succeeded: true, output: { outputs: { attempt: 1 } } });

    // runSync(.., 1000) asks /runsync to wait 1 s; the job sleeps 1.5 s, so the answer is COMPLETED
    // only if the client went on to long-poll /status-sync/{id}.
    const slow = await endpoint.runSync({ input: sleepJob(1500) }, 1000);
    expect(slow).toMatchObject({ status: 'COMPLETED', completed: true, output: { outputs: { attempt: 1 } } });
    expect((slow.output as { outputs: { sleptMs: number } }).outputs.sleptMs).toBeGreaterThanOrEqual(1500);
  });

  test('stream yields the output of a job', async () => {
    const { id } = await endpoint.run({ input: sleepJob(100) });
    const items: unknown[] = [];
    for await (const item of endpoint.stream(id)) items.push(item);
    expect(items).toEqual([{ output: { outputs: { sleptMs: expect.any(Number), attempt: 1 } } }]);
  });

  test('health reports real counts; purgeQueue removes the waiting job; cancel stops running ones', async () => {
    const before = await endpoint.health();
    const ids = await Promise.all([0, 1, 2].map(async () => (await endpoint.run({ input: sleepJob(30_000) })).id));
    const busy = await waitFor(
      () => endpoint.health(),
      (h) => h.jobs.inProgress === 2,
    );
    expect(busy.jobs).toMatchObject({ inProgress: 2, inQueue: 1, completed: before.jobs.completed });
    expect(busy.workers).toMatchObject({ running: 1, idle: 0 });

    expect(await endpoint.purgeQueue()).toEqual({ removed: 1, status: 'completed' });
    const statuses = await Promise.all(ids.map(status));
    expect(statuses.map((s) => s.status).sort()).toEqual(['CANCELLED', 'IN_PROGRESS', 'IN_PROGRESS']);

    const running = statuses.filter((s) => s.status === 'IN_PROGRESS').map((s) => s.id);
    for (const id of running) expect(await endpoint.cancel(id)).toEqual({ id, status: 'CANCELLED' });
    for (const id of running) expect((await settled(id)).status).toBe('CANCELLED');
    const idle = await waitFor(
      () => endpoint.health(),
      (h) => h.jobs.inProgress === 0,
    );
    expect(idle.jobs).toMatchObject({ inProgress: 0, inQueue: 0, completed: before.jobs.completed, failed: before.jobs.failed });
    expect(idle.workers).toMatchObject({ running: 0, idle: 1 });
  });

  test('retry puts a FAILED job back in the queue; it runs again', async () => {
    const { id } = await endpoint.run({ input: sleepJob(0, 1) });
    const failed = await settled(id);
    expect(failed.status).toBe('FAILED');
    expect(JSON.parse(failed.error!)).toMatchObject({ code: 'BLOCK_FAILED', retryable: true, error_type: 'RetryableNodeError' });

    // runpod-sdk has no retry; this is RunPod's POST /retry/{id}.
    const retried = await raw('POST', `/retry/${id}`);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ id, status: 'IN_QUEUE' });
    const again = await settled(id);
    // The same input fails its attempt 1 again; what matters is that it ran a second time.
    expect(again).toMatchObject({ status: 'FAILED', retries: 1 });
    const debugStats = await fetch(`${origin}/debug/stats`, { headers: { authorization: apiKey } });
    const stats = (await debugStats.json()) as { executions: Array<{ jobId: string }> };
    expect(stats.executions.filter((e) => e.jobId === id)).toHaveLength(2);
    expect((await endpoint.health()).jobs.retried).toBe(1);
    // A job that is not FAILED cannot be retried.
    expect((await raw('POST', `/retry/${(await endpoint.run({ input: sleepJob(0) })).id}`)).status).toBe(400);
  });

  test('a wrong API key gets 401', async () => {
    const wrong = runpodSdk('not-the-key', { baseUrl: `${origin}/v2` }).endpoint('switchyard')!;
    await expect(wrong.health()).rejects.toMatchObject({
      message: 'Request failed with status code 401',
      response: { status: 401 },
    });
    await expect(wrong.run({ input: sleepJob(0) })).rejects.toMatchObject({ response: { status: 401 } });
    expect((await fetch(`${base}/health`)).status).toBe(401);
    expect((await raw('GET', '/health', 'not-the-key')).status).toBe(401);
  });

  test('bad input: a FAILED job with a non-retryable error, and the server stays up', async () => {
    const unknownBlock = await endpoint.runSync({ input: { block: 'no.such.block', config: {}, inputs: {} } });
    expect(unknownBlock).toMatchObject({ status: 'FAILED', completed: true, succeeded: false });
    const payload = JSON.parse((unknownBlock as { error?: string }).error!) as RunpodErrorPayload;
    expect(payload).toMatchObject({
      code: 'INVALID_INPUT',
      retryable: false,
      error_type: 'NonRetryableNodeError',
      worker_id: 'local',
    });
    expect(payload.error_message).toMatch(/no\.such\.block/);

    const notAnObject = await endpoint.runSync({ input: 'just text' });
    expect(JSON.parse((notAnObject as { error?: string }).error!)).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    const badConfig = await endpoint.runSync({ input: { block: 'debug.sleep', config: { ms: -5 }, inputs: {} } });
    expect(JSON.parse((badConfig as { error?: string }).error!)).toMatchObject({ code: 'INVALID_INPUT', retryable: false });

    // A body that is not JSON is refused at the door; the server goes on.
    const garbage = await fetch(`${base}/run`, { method: 'POST', headers: { authorization: apiKey }, body: '{not json' });
    expect(garbage.status).toBe(400);
    expect(await endpoint.runSync({ input: sleepJob(0) })).toMatchObject({ status: 'COMPLETED' });
    expect(worker.process.exitCode).toBeNull();
  });

  test('SIGTERM: /run answers 503, the job in progress completes and its long poll is answered, then exit 0', async () => {
    const { id } = await endpoint.run({ input: sleepJob(1000) });
    await waitFor(
      () => status(id),
      (s) => s.status === 'IN_PROGRESS',
    );
    // Held open across the SIGTERM: the server closes only after answering it.
    const finalState = endpoint.statusSync(id, 10_000);
    worker.process.kill('SIGTERM');
    const refused = await waitFor(
      async () =>
        (
          await fetch(`${base}/run`, {
            method: 'POST',
            headers: { authorization: apiKey },
            body: JSON.stringify({ input: sleepJob(0) }),
          })
        ).status,
      (s) => s === 503,
    );
    expect(refused).toBe(503);
    expect(await finalState).toMatchObject({ id, status: 'COMPLETED', output: { outputs: { attempt: 1 } } });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(processGroupAlive(worker.process.pid!)).toBe(false);
  });
});
