import pino from 'pino';
import { ConfigError } from '../../src/config/env';
import { compileGpuWorkerOptions, GpuWorkerMode } from '../../gpu-worker/src/gpu-worker-options';
import { ProgressThrottle } from '../../gpu-worker/src/jobs/progress-throttle';
import { parseTakenJobs } from '../../gpu-worker/src/production/job-take-loop';
import { resultRetryDelay } from '../../gpu-worker/src/production/result-poster';
import { jobDoneUrl, jobTakeRequestUrl } from '../../gpu-worker/src/production/runpod-urls';
import { parseStopSignals } from '../../gpu-worker/src/production/stop-listener';

/** The pure parts of the RunPod worker protocol: URL building, options, answer parsing, throttling. */

const log = pino({ level: 'silent' });
const RUNPOD_ENV = {
  RUNPOD_WEBHOOK_GET_JOB: 'https://api.runpod.ai/v2/ep1/job-take/$ID?gpu=NVIDIA+H100',
  RUNPOD_WEBHOOK_POST_OUTPUT: 'https://api.runpod.ai/v2/ep1/job-done/$RUNPOD_POD_ID/$ID?gpu=NVIDIA+H100',
  RUNPOD_WEBHOOK_PING: 'https://api.runpod.ai/v2/ep1/ping/$RUNPOD_POD_ID?gpu=NVIDIA+H100',
  RUNPOD_POD_ID: 'pod-7',
  RUNPOD_AI_API_KEY: 'key-1',
};

describe('options', () => {
  test('local mode without RUNPOD_WEBHOOK_GET_JOB, worker id "local"', () => {
    const options = compileGpuWorkerOptions({});
    expect(options).toMatchObject({
      mode: GpuWorkerMode.Local,
      workerId: 'local',
      production: undefined,
      progressIntervalMs: 1000,
    });
  });

  test('production mode fills the templates as runpod-python does and derives the stop channel', () => {
    const options = compileGpuWorkerOptions(RUNPOD_ENV);
    expect(options.mode).toBe(GpuWorkerMode.Production);
    expect(options.workerId).toBe('pod-7');
    expect(options.production).toEqual({
      jobTakeUrl: 'https://api.runpod.ai/v2/ep1/job-take/pod-7?gpu=NVIDIA+H100',
      jobStopUrl: 'https://api.runpod.ai/v2/ep1/job-stop/pod-7?gpu=NVIDIA+H100',
      jobDoneUrlTemplate: 'https://api.runpod.ai/v2/ep1/job-done/pod-7/$ID?gpu=NVIDIA+H100',
      pingUrl: 'https://api.runpod.ai/v2/ep1/ping/pod-7?gpu=NVIDIA+H100',
      pingIntervalMs: 10_000,
      apiKey: 'key-1',
      longPollTimeoutMs: 90_000,
      tooManyRequestsBackoffMs: 5000,
      errorBackoffMs: 1000,
      resultAttempts: 3,
      resultRetryMs: 1000,
      requestTimeoutMs: 30_000,
    });
  });

  test('production mode without a pod id gets a random worker id, not "local"', () => {
    const { RUNPOD_POD_ID: _omitted, ...env } = RUNPOD_ENV;
    const a = compileGpuWorkerOptions(env);
    expect(a.workerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.production?.jobTakeUrl).toContain(`/job-take/${a.workerId}?`);
  });

  test('no per-job stop when the job-take URL has no /job-take/ segment', () => {
    expect(
      compileGpuWorkerOptions({ ...RUNPOD_ENV, RUNPOD_WEBHOOK_GET_JOB: 'https://example.test/take/$ID?x=1' }).production
        ?.jobStopUrl,
    ).toBeUndefined();
  });

  test('refuses to start without the job-done URL, naming it', () => {
    const { RUNPOD_WEBHOOK_POST_OUTPUT: _omitted, ...env } = RUNPOD_ENV;
    expect(() => compileGpuWorkerOptions(env)).toThrow(ConfigError);
    expect(() => compileGpuWorkerOptions(env)).toThrow(/RUNPOD_WEBHOOK_POST_OUTPUT/);
    expect(() => compileGpuWorkerOptions({ ...RUNPOD_ENV, RUNPOD_PING_INTERVAL: 'soon' })).toThrow(/RUNPOD_PING_INTERVAL/);
  });
});

describe('URLs', () => {
  const take = 'https://api.runpod.ai/v2/ep1/job-take/pod-7?gpu=A';
  test.each([
    [1, false, 'https://api.runpod.ai/v2/ep1/job-take/pod-7?gpu=A&job_in_progress=0'],
    [1, true, 'https://api.runpod.ai/v2/ep1/job-take/pod-7?gpu=A&job_in_progress=1'],
    [4, false, 'https://api.runpod.ai/v2/ep1/job-take-batch/pod-7?gpu=A&batch_size=4&job_in_progress=0'],
  ])('take %i job(s), in progress %s', (size, inProgress, url) => {
    expect(jobTakeRequestUrl(take, size, inProgress)).toBe(url);
  });

  test('job-done: the job id in place and isStream=false; a template without a query still works', () => {
    expect(jobDoneUrl('https://x.test/job-done/pod-7/$ID?gpu=A', 'job 1')).toBe(
      'https://x.test/job-done/pod-7/job 1?gpu=A&isStream=false',
    );
    expect(jobDoneUrl('https://x.test/done/$ID', 'j2')).toBe('https://x.test/done/j2?isStream=false');
  });
});

describe('answers', () => {
  test('job-take: an object is one job, a list is a batch, entries without id or input are dropped', () => {
    expect(parseTakenJobs({ id: 'a', input: { x: 1 } }, log)).toEqual([{ id: 'a', input: { x: 1 } }]);
    expect(
      parseTakenJobs([{ id: 'a', input: 1 }, { id: 'b' }, { input: 2 }, { id: 'c', input: null }], log).map((j) => j.id),
    ).toEqual(['a', 'c']);
    expect(parseTakenJobs({ id: 'a' }, log)).toEqual([]);
    expect(parseTakenJobs(undefined, log)).toEqual([]);
  });

  test('job-stop: the string ids of jobsToStop, anything else is no signal', () => {
    expect(parseStopSignals({ jobsToStop: ['a', 7, 'b'] }, log)).toEqual(['a', 'b']);
    expect(parseStopSignals({ jobsToStop: 'a' }, log)).toEqual([]);
    expect(parseStopSignals(['a'], log)).toEqual([]);
    expect(parseStopSignals(undefined, log)).toEqual([]);
  });

  test('result retries wait 1, 2, then 3 units at most (FibonacciRetry with max_timeout 3)', () => {
    expect([1, 2, 3, 4].map((n) => resultRetryDelay(n, 1000))).toEqual([1000, 2000, 3000, 3000]);
  });
});

describe('ProgressThrottle', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('the first report at once, later ones coalesced to the latest at the end of the interval', () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle(
      1000,
      (p) => sent.push(p),
      () => Date.now(),
    );
    throttle.report(0.1);
    throttle.report(0.2);
    throttle.report(0.3);
    expect(sent).toEqual([0.1]);
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual([0.1, 0.3]);
    throttle.report(0.3); // unchanged: nothing new to say
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual([0.1, 0.3]);
  });

  test('close drops what is pending and ignores later reports', () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle(
      1000,
      (p) => sent.push(p),
      () => Date.now(),
    );
    throttle.report(0.1);
    throttle.report(0.5);
    throttle.close();
    throttle.report(0.9);
    jest.advanceTimersByTime(5000);
    expect(sent).toEqual([0.1]);
  });
});
