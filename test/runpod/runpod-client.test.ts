import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { NodeErrorCode, NodeExecutionError } from '../../src/core/errors';
import { RunpodJobStatus } from '../../src/runpod/protocol';
import { RunpodEndpointClient, errorOfRunpodJob } from '../../src/runpod/runpod-endpoint-client';
import { RunpodJobWatcher } from '../../src/runpod/runpod-job-watcher';
import { REDIS_URL, uniqueSuffix } from '../support/test-stack';

/**
 * The worker's RunPod adapter against an HTTP endpoint that answers what RunPod can answer (429,
 * 5xx, 4xx, job states), and its Redis fast path with /status polling as the fallback.
 */
describe('RunPod endpoint client and job watcher', () => {
  let server: Server;
  let base: string;
  const answers: Array<[number, unknown]> = [];
  const seen: string[] = [];
  const statusById = new Map<string, { id: string; status: RunpodJobStatus; output?: unknown; error?: string }>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      const status = /\/status\/(.+)$/.exec(req.url ?? '');
      const [code, body] = status
        ? [200, statusById.get(status[1] as string) ?? { id: status[1], status: 'IN_PROGRESS' }]
        : (answers.shift() ?? [200, { id: 'job-1', status: 'IN_QUEUE' }]);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/endpoint-x`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const client = () => new RunpodEndpointClient({ endpointUrl: base, apiKey: 'k-123' });

  it('submits with the Bearer key and returns the job id', async () => {
    const c = client();
    answers.push([200, { id: 'abc', status: 'IN_QUEUE' }]);
    await expect(c.run({ block: 'debug.sleep', config: {}, inputs: {} })).resolves.toEqual({ id: 'abc', status: 'IN_QUEUE' });
    expect(seen.at(-1)).toBe('POST /v2/endpoint-x/run Bearer k-123');
    await c.close();
  });

  it.each([
    [429, true, NodeErrorCode.RunpodUnavailable],
    [500, true, NodeErrorCode.RunpodUnavailable],
    [503, true, NodeErrorCode.RunpodUnavailable],
    [400, false, NodeErrorCode.RunpodRejected],
    [401, false, NodeErrorCode.RunpodRejected],
  ])('maps HTTP %i to a %s node error', async (code, retryable, errorCode) => {
    const c = client();
    answers.push([code, { error: 'nope' }]);
    const err = (await c.run({ block: 'x', config: {}, inputs: {} }).catch((e: unknown) => e)) as NodeExecutionError;
    expect(err).toBeInstanceOf(NodeExecutionError);
    expect(err.retryable).toBe(retryable);
    expect(err.code).toBe(errorCode);
    await c.close();
  });

  it('treats an unreachable endpoint as retryable', async () => {
    const c = new RunpodEndpointClient({ endpointUrl: 'http://127.0.0.1:1/v2/x', apiKey: undefined, requestTimeoutMs: 500 });
    await expect(c.status('a')).rejects.toMatchObject({ retryable: true, code: NodeErrorCode.RunpodUnavailable });
    await c.close();
  });

  it.each([
    [{ status: RunpodJobStatus.TimedOut }, true, NodeErrorCode.Timeout],
    [
      {
        status: RunpodJobStatus.Failed,
        error: JSON.stringify({ error_type: 'X', error_message: 'bad image', code: 'INVALID_INPUT', retryable: false }),
      },
      false,
      'INVALID_INPUT',
    ],
    [{ status: RunpodJobStatus.Failed, error: 'plain text from another worker' }, true, NodeErrorCode.BlockFailed],
  ])('maps a final job state %j to retryable=%s', (state, retryable, code) => {
    const err = errorOfRunpodJob(state);
    expect(err.retryable).toBe(retryable);
    expect(err.code).toBe(code);
  });

  describe('watcher', () => {
    const channel = `syt:${uniqueSuffix()}:runpod:jobs`;
    let subscriber: Redis;
    let publisher: Redis;
    let watcher: RunpodJobWatcher;
    let c: RunpodEndpointClient;

    beforeAll(async () => {
      subscriber = new Redis(REDIS_URL);
      publisher = new Redis(REDIS_URL);
      c = client();
      watcher = new RunpodJobWatcher(subscriber, channel, c, { pollInitialMs: 50, pollMaxMs: 200, recentNoticeLimit: 100 });
      await watcher.start();
    });
    afterAll(async () => {
      await watcher.stop();
      await c.close();
      await subscriber.quit();
      await publisher.quit();
    });

    it('learns of completion from the Redis notice (fast path)', async () => {
      const waiting = watcher.waitForFinal('fast-1', new AbortController().signal);
      await new Promise((r) => setTimeout(r, 20));
      await publisher.publish(channel, JSON.stringify({ id: 'fast-1', status: 'COMPLETED', output: { outputs: { x: 1 } } }));
      await expect(waiting).resolves.toEqual({ id: 'fast-1', status: 'COMPLETED', output: { outputs: { x: 1 } } });
    });

    it('keeps a notice that arrives before anyone waits', async () => {
      await publisher.publish(channel, JSON.stringify({ id: 'early-1', status: 'FAILED', error: 'e' }));
      await new Promise((r) => setTimeout(r, 50));
      await expect(watcher.waitForFinal('early-1', new AbortController().signal)).resolves.toMatchObject({ status: 'FAILED' });
    });

    it('falls back to /status polling when no notice comes', async () => {
      statusById.set('slow-1', { id: 'slow-1', status: RunpodJobStatus.InProgress });
      const waiting = watcher.waitForFinal('slow-1', new AbortController().signal);
      await new Promise((r) => setTimeout(r, 120));
      statusById.set('slow-1', { id: 'slow-1', status: RunpodJobStatus.Completed, output: { outputs: {} } });
      await expect(waiting).resolves.toMatchObject({ status: 'COMPLETED' });
      expect(seen.filter((s) => s.startsWith('GET /v2/endpoint-x/status/slow-1')).length).toBeGreaterThanOrEqual(2);
    });

    it('stops waiting when aborted', async () => {
      const controller = new AbortController();
      const waiting = watcher.waitForFinal('never-1', controller.signal);
      controller.abort(new Error('cancelled'));
      await expect(waiting).rejects.toThrow('cancelled');
    });
  });
});
