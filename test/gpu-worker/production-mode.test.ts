import { randomBytes } from 'node:crypto';
import type { ManagedChild } from '../../src/stack/child-process';
import type { RunpodErrorPayload } from '../../src/runpod/protocol';
import { processGroupAlive, startGpuWorker } from './support/gpu-worker-process';
import { ControlPlaneCall, isProgress, RunpodControlPlane, type ReceivedRequest } from './support/runpod-control-plane';

/**
 * The compiled gpu-worker in production mode (RUNPOD_WEBHOOK_GET_JOB set), as a real process,
 * against a stand-in of RunPod's control plane over real HTTP. Jobs are `debug.sleep` so no model
 * loads. Tests in this file share one worker and run in order; each leaves it idle.
 */

const sleepJob = (ms: number, failTimes = 0, attempt = 1) => ({
  block: 'debug.sleep',
  config: { ms, failTimes },
  inputs: {},
  meta: { runId: 'run-1', nodeId: `sleep-${ms}`, attempt },
});

/** The RunPod variables plus short test values for what runpod-python hard codes (5 s after 429, ...). */
function workerEnv(plane: RunpodControlPlane, workerId: string, concurrency: number): Record<string, string> {
  return {
    ...plane.env,
    RUNPOD_POD_ID: workerId,
    RUNPOD_PING_INTERVAL: '200',
    GPU_WORKER_CONCURRENCY: String(concurrency),
    GPU_WORKER_TOO_MANY_REQUESTS_BACKOFF_MS: '500',
    GPU_WORKER_ERROR_BACKOFF_MS: '200',
    GPU_WORKER_RESULT_RETRY_MS: '100',
    SHUTDOWN_GRACE_MS: '10000',
  };
}

const pingedIds = (r: ReceivedRequest): string[] => (r.query.job_id ? r.query.job_id.split(',') : []);
const isTake = (r: ReceivedRequest): boolean => r.call === ControlPlaneCall.Take || r.call === ControlPlaneCall.TakeBatch;

describe('production mode against a RunPod control-plane stand-in', () => {
  const apiKey = `rp_${randomBytes(12).toString('hex')}`;
  const workerId = 'worker-a';
  const concurrency = 3;
  let plane: RunpodControlPlane;
  let worker: ManagedChild;

  /** Resolves once the idle worker holds a take poll asking for every slot (nothing in flight). */
  const idleTake = async (): Promise<ReceivedRequest> => {
    const after = plane.clock;
    return plane.waitFor(
      (r) =>
        r.seq > after &&
        r.call === ControlPlaneCall.TakeBatch &&
        r.query.batch_size === String(concurrency) &&
        r.query.job_in_progress === '0',
      'an idle job-take poll',
    );
  };

  beforeAll(async () => {
    plane = await RunpodControlPlane.start({ apiKey, holdMs: 500 });
    worker = await startGpuWorker(workerEnv(plane, workerId, concurrency));
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await plane?.close();
  });

  test('takes a job by long polling and posts its output with RunPod shape, X-Request-ID and the bare API key', async () => {
    await idleTake();
    const id = plane.enqueue(sleepJob(20));
    const result = await plane.waitForResult(id);

    expect(result.method).toBe('POST');
    expect(result.workerId).toBe(workerId);
    expect(result.query).toMatchObject({ gpu: 'TEST_GPU', isStream: 'false' });
    expect(result.headers['x-request-id']).toBe(id);
    expect(result.headers.authorization).toBe(apiKey);
    expect(result.body).toEqual({ output: { outputs: { sleptMs: expect.any(Number), attempt: 1 } } });

    const take = plane.requests.find((r) => r.jobIds.includes(id));
    // Three free slots: the batch take, asking for three, with nothing in progress.
    expect(take).toMatchObject({
      call: ControlPlaneCall.TakeBatch,
      workerId,
      status: 200,
      query: { gpu: 'TEST_GPU', batch_size: '3', job_in_progress: '0' },
    });
    expect(take?.headers.authorization).toBe(apiKey);
    // Every call named this worker and carried the key: a placeholder left in a URL would be a 404 here.
    expect(plane.requests.filter((r) => r.status === 404 || r.status === 401)).toEqual([]);
    expect(new Set(plane.requests.map((r) => r.workerId))).toEqual(new Set([workerId]));
  });

  test('posts a failed job as runpod-python error JSON, with the code and retryability', async () => {
    await idleTake();
    const failing = plane.enqueue(sleepJob(0, 1));
    const invalid = plane.enqueue({ block: 'no.such.block', config: {}, inputs: {} });
    const [failed, rejected] = await Promise.all([plane.waitForResult(failing), plane.waitForResult(invalid)]);

    for (const [r, id] of [
      [failed, failing],
      [rejected, invalid],
    ] as const) {
      expect(Object.keys(r.body as object)).toEqual(['error']);
      expect(r.headers['x-request-id']).toBe(id);
    }
    const failure = JSON.parse((failed.body as { error: string }).error) as RunpodErrorPayload;
    expect(failure).toMatchObject({
      error_type: 'RetryableNodeError',
      worker_id: workerId,
      code: 'BLOCK_FAILED',
      retryable: true,
    });
    expect(failure.error_message).toMatch(/fails attempt 1/);
    expect(typeof failure.hostname).toBe('string');
    expect(typeof failure.runpod_version).toBe('string');
    const rejection = JSON.parse((rejected.body as { error: string }).error) as RunpodErrorPayload;
    expect(rejection).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    expect(rejection.error_message).toMatch(/no\.such\.block/);
  });

  test('batch take, job_in_progress, heartbeat with the job ids, and progress before the result', async () => {
    await idleTake();
    const ids = plane.enqueueAll([sleepJob(600), sleepJob(600)]);
    const results = await Promise.all(ids.map((id) => plane.waitForResult(id)));

    // Both jobs came in one batch answer to a take asking for three.
    const batch = plane.requests.find((r) => r.jobIds.includes(ids[0]!))!;
    expect(batch).toMatchObject({ call: ControlPlaneCall.TakeBatch, query: { batch_size: '3', job_in_progress: '0' } });
    expect(batch.jobIds).toEqual(ids);
    // With one slot left and two jobs held, the next take is the single job-take saying jobs are in progress.
    const next = plane.requests.find((r) => r.seq > batch.seq && isTake(r))!;
    expect(next).toMatchObject({ call: ControlPlaneCall.Take, workerId, query: { job_in_progress: '1' } });
    expect(next.query.batch_size).toBeUndefined();

    // Heartbeats while the jobs ran named both; every ping carried the key and the version.
    const pings = plane.calls(ControlPlaneCall.Ping);
    const during = pings.filter((p) => p.seq > batch.seq && p.seq < Math.min(...results.map((r) => r.seq)));
    expect(during.some((p) => ids.every((id) => pingedIds(p).includes(id)))).toBe(true);
    expect(pings[0]!.query.job_id).toBeUndefined(); // the first ping, at start, held no job
    for (const p of pings) {
      expect(p.headers.authorization).toBe(apiKey);
      expect(p.query.runpod_version).toEqual(expect.any(String));
      expect(p.query.gpu).toBe('TEST_GPU');
    }

    // debug.sleep reports progress as it goes (its first report passes the 1 s throttle at once, the
    // rest are coalesced and dropped when the job ends): one IN_PROGRESS update per job, before its result.
    for (const [i, id] of ids.entries()) {
      const progress = plane.donePosts(id).filter((r) => isProgress(r.body));
      expect(progress).toHaveLength(1);
      expect(progress[0]!.body).toEqual({ status: 'IN_PROGRESS', output: { progress: expect.any(Number) } });
      const p = (progress[0]!.body as { output: { progress: number } }).output.progress;
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThanOrEqual(1);
      expect(progress[0]!.headers['x-request-id']).toBe(id);
      expect(progress[0]!.query.isStream).toBe('false');
      expect(progress[0]!.seq).toBeLessThan(results[i]!.seq);
    }
  });

  test('429 on job-take: the worker backs off, takes again, and stays up', async () => {
    await idleTake();
    plane.refuseTakes(2, 429);
    const first = await plane.waitFor((r) => isTake(r) && r.status === 429, 'a refused job-take');
    await plane.waitFor((r) => r.seq > first.seq && isTake(r) && r.status === 429, 'a second refused job-take');
    const id = plane.enqueue(sleepJob(10));
    const result = await plane.waitForResult(id);
    expect(result.body).toMatchObject({ output: { outputs: { attempt: 1 } } });

    const refused = plane.requests.filter((r) => isTake(r) && r.status === 429);
    expect(refused).toHaveLength(2);
    const took = plane.requests.find((r) => r.jobIds.includes(id))!;
    expect(took.seq).toBeGreaterThan(refused[1]!.answeredSeq);
    // It waited before each next take: the heartbeat (every 200 ms) got in between each time,
    // where a worker that asked again at once would have sent its next take within a millisecond.
    const takes = plane.requests.filter(isTake);
    for (const r of refused) {
      const nextTake = takes.find((t) => t.seq > r.answeredSeq)!;
      expect(plane.calls(ControlPlaneCall.Ping).some((p) => p.seq > r.answeredSeq && p.seq < nextTake.seq)).toBe(true);
    }
    expect(worker.process.exitCode).toBeNull();
  });

  test('a failed result post is tried again with the same body', async () => {
    await idleTake();
    plane.refuseResults(1, 503);
    const id = plane.enqueue(sleepJob(10));
    await plane.waitForResult(id);

    const finals = plane.donePosts(id).filter((r) => !isProgress(r.body));
    expect(finals.map((r) => r.status)).toEqual([503, 200]);
    expect(finals[1]!.rawBody).toBe(finals[0]!.rawBody);
    expect(finals.map((r) => r.headers['x-request-id'])).toEqual([id, id]);
  });

  test('a per-job stop cancels that running job: no result is posted, its slot is freed', async () => {
    await idleTake();
    const long = plane.enqueue(sleepJob(60_000));
    const running = await plane.waitFor(
      (r) => r.call === ControlPlaneCall.Ping && pingedIds(r).includes(long),
      'a ping naming the long job',
    );

    plane.stopJobs(long);
    const stop = await plane.waitFor((r) => r.call === ControlPlaneCall.Stop && r.jobIds.includes(long), 'the stop signal');
    expect(stop).toMatchObject({ workerId, status: 200, query: { gpu: 'TEST_GPU' } });
    expect(stop.headers.authorization).toBe(apiKey);
    expect(stop.answeredSeq).toBeGreaterThan(running.seq);
    // The next pings no longer name it, long before it could have slept its minute.
    await plane.waitFor(
      (r) => r.call === ControlPlaneCall.Ping && r.seq > stop.answeredSeq && !pingedIds(r).includes(long),
      'a ping without the stopped job',
    );
    await idleTake();

    const after = plane.enqueue(sleepJob(10));
    await plane.waitForResult(after);
    expect(plane.donePosts(long)).toEqual([]);
    expect(worker.process.exitCode).toBeNull();
  });
});

describe('production mode: SIGTERM', () => {
  test('stops taking jobs, finishes the jobs it holds, posts their results, exits 0 and leaves no process', async () => {
    const apiKey = `rp_${randomBytes(12).toString('hex')}`;
    const plane = await RunpodControlPlane.start({ apiKey, holdMs: 500 });
    let worker: ManagedChild | undefined;
    try {
      worker = await startGpuWorker(workerEnv(plane, 'worker-b', 2));
      const [first, second, waiting] = plane.enqueueAll([sleepJob(700), sleepJob(700), sleepJob(10)]);
      const held = [first!, second!];
      await plane.waitFor(
        (r) => r.call === ControlPlaneCall.Ping && held.every((id) => pingedIds(r).includes(id)),
        'a ping naming both held jobs',
      );

      const atSigterm = plane.clock;
      worker.process.kill('SIGTERM');
      const exit = await worker.exited;

      expect(exit).toEqual({ code: 0, signal: null });
      for (const id of held) {
        const result = plane.result(id);
        expect(result?.body).toMatchObject({ output: { outputs: { attempt: 1 } } });
        expect(result!.seq).toBeGreaterThan(atSigterm);
      }
      // Two slots, both busy: no take was in flight at SIGTERM, and none followed it.
      expect(plane.requests.filter((r) => isTake(r) && r.seq > atSigterm)).toEqual([]);
      expect(plane.queuedJobIds).toEqual([waiting]); // never taken
      expect(processGroupAlive(worker.process.pid!)).toBe(false);
    } finally {
      await worker?.stop(2000);
      await plane.close();
    }
  });
});
