import {
  CancelRunDocument,
  CreateWorkflowDocument,
  RetryRunDocument,
  RunDocument,
  RunWorkflowDocument,
} from '../../src/client/generated/graphql';
import { startTestStack, type TestStack } from '../support/test-stack';
import { collectEvents, describeEvents, gpuWorkerStats, sleepNode, startRun } from '../support/run-helpers';
import { waitFor } from '../support/wait-for';

/** Retries, timeouts, cancel, retryRun, idempotency and global block limits, on the real stack. */
describe('durable DAG engine behaviour', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      workers: 2,
      env: {
        LOG_LEVEL: 'warn',
        STALLED_INTERVAL_MS: '1000',
        JOB_LOCK_MS: '3000',
        RUN_LEASE_MS: '3000',
        BLOCK_CONCURRENCY: JSON.stringify({ 'debug.sleep': 3 }),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.teardown();
  });

  it('retries a failing node with backoff and succeeds on the attempt after its failures', async () => {
    const runId = await startRun(stack.client, {
      nodes: [sleepNode('flaky', { failTimes: 2 }, { retry: { maxAttempts: 3, initialBackoffMs: 50, maxBackoffMs: 200 } })],
      outputs: { attempt: '$nodes.flaky.attempt' },
    });
    const events = await collectEvents(stack.client, runId);
    expect(describeEvents(events)).toEqual([
      'RUN_QUEUED',
      'RUN_STARTED',
      'NODE_QUEUED:flaky#1',
      'NODE_STARTED:flaky#1',
      'NODE_RETRYING:flaky#1',
      'NODE_QUEUED:flaky#2',
      'NODE_STARTED:flaky#2',
      'NODE_RETRYING:flaky#2',
      'NODE_QUEUED:flaky#3',
      'NODE_STARTED:flaky#3',
      'NODE_SUCCEEDED:flaky#3',
      'RUN_SUCCEEDED',
    ]);
    const retrying = events.filter((e) => e.type === 'NODE_RETRYING');
    for (const e of retrying) {
      expect(e.error).toMatchObject({ code: 'BLOCK_FAILED', retryable: true, nodeId: 'flaky' });
      expect((e.data as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(0);
      expect((e.data as { delayMs: number }).delayMs).toBeLessThanOrEqual(200);
    }
    expect(events.at(-1)?.output).toEqual({ attempt: 3 });
  });

  it('fails the run when retries are spent, cancelling what is still in flight', async () => {
    const runId = await startRun(stack.client, {
      nodes: [
        sleepNode('doomed', { failTimes: 9 }, { retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 10 } }),
        sleepNode('slow', { ms: 30_000 }),
      ],
    });
    const events = await collectEvents(stack.client, runId);
    const described = describeEvents(events);
    expect(described.filter((d) => d.startsWith('NODE_FAILED'))).toEqual(['NODE_FAILED:doomed#2']);
    expect(described).toContain('NODE_CANCELLED:slow#1');
    expect(described.at(-1)).toBe('RUN_FAILED');
    expect(events.at(-1)?.error).toMatchObject({ code: 'BLOCK_FAILED', nodeId: 'doomed', retryable: true });
    // the slow node's RunPod job was cancelled on the endpoint, not left running
    const jobId = (events.find((e) => e.type === 'NODE_STARTED' && e.nodeId === 'slow')?.data as { jobId: string }).jobId;
    const stats = await waitFor(
      () => gpuWorkerStats(stack.runpodEndpointUrl, stack.runpodApiKey),
      (s) => s.executions.some((x) => x.jobId === jobId && x.status === 'CANCELLED'),
    );
    expect(stats.executions.find((x) => x.jobId === jobId)?.status).toBe('CANCELLED');
  });

  it('times a node out, cancels its RunPod job, and does not retry a node whose policy says once', async () => {
    const runId = await startRun(stack.client, {
      nodes: [sleepNode('stuck', { ms: 60_000 }, { timeoutMs: 300, retry: { maxAttempts: 1 } })],
    });
    const events = await collectEvents(stack.client, runId);
    expect(describeEvents(events).slice(-2)).toEqual(['NODE_FAILED:stuck#1', 'RUN_FAILED']);
    expect(events.find((e) => e.type === 'NODE_FAILED')?.error).toMatchObject({ code: 'TIMEOUT' });
    const jobId = (events.find((e) => e.type === 'NODE_STARTED')?.data as { jobId: string }).jobId;
    // the worker cancels the job; RunPod's own (longer) execution timeout is only the backstop
    const stats = await waitFor(
      () => gpuWorkerStats(stack.runpodEndpointUrl, stack.runpodApiKey),
      (s) => s.executions.some((x) => x.jobId === jobId && x.status === 'CANCELLED'),
    );
    expect(stats.executions.find((x) => x.jobId === jobId)?.status).toBe('CANCELLED');
  });

  it('cancels a running run: in-flight jobs are cancelled and RUN_CANCELLED follows', async () => {
    const runId = await startRun(stack.client, {
      nodes: [sleepNode('long', { ms: 60_000 }), sleepNode('later', {}, { inputs: { after: '$nodes.long.sleptMs' } })],
    });
    const stream = collectEvents(stack.client, runId);
    await waitFor(
      async () => (await stack.client.request(RunDocument, { id: runId })).run?.nodes.find((n) => n.nodeId === 'long')?.status,
      (s) => s === 'RUNNING',
    );
    const { cancelRun } = await stack.client.request(CancelRunDocument, { id: runId });
    expect(['RUNNING', 'CANCELLED']).toContain(cancelRun.status);
    const described = describeEvents(await stream);
    expect(described.slice(-3)).toEqual(['NODE_CANCELLED:long#1', 'NODE_CANCELLED:later', 'RUN_CANCELLED']);
    const { run } = await stack.client.request(RunDocument, { id: runId });
    expect(run?.status).toBe('CANCELLED');
    expect(run?.nodes.map((n) => n.status)).toEqual(['CANCELLED', 'CANCELLED']);
  });

  it('retryRun re-runs only what failed, keeping the run id, the seq and succeeded outputs', async () => {
    const runId = await startRun(stack.client, {
      nodes: [
        sleepNode('ok'),
        sleepNode('flaky', { failTimes: 1 }, { retry: { maxAttempts: 1 } }),
        sleepNode('after', {}, { inputs: { after: ['$nodes.ok.sleptMs', '$nodes.flaky.sleptMs'] } }),
      ],
      outputs: { flakyAttempt: '$nodes.flaky.attempt' },
    });
    const first = await collectEvents(stack.client, runId);
    expect(first.at(-1)?.type).toBe('RUN_FAILED');
    const lastSeq = first.at(-1)!.seq;

    const { retryRun } = await stack.client.request(RetryRunDocument, { id: runId });
    expect(retryRun.id).toBe(runId);
    const second = await collectEvents(stack.client, runId, lastSeq);
    expect(second[0]?.seq).toBe(lastSeq + 1);
    expect(second.map((e) => e.seq)).toEqual(second.map((_e, i) => lastSeq + 1 + i));
    const described = describeEvents(second);
    expect(described[0]).toBe('RUN_QUEUED');
    expect(described.some((d) => d.endsWith(':ok#1') || d.includes(':ok#2'))).toBe(false); // ok is reused, not re-run
    expect(described).toContain('NODE_SUCCEEDED:flaky#2'); // attempt numbers go on; a fresh budget lets it run
    expect(described.at(-1)).toBe('RUN_SUCCEEDED');
    expect(second.at(-1)?.output).toEqual({ flakyAttempt: 2 });

    await expect(stack.client.request(RetryRunDocument, { id: runId })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('returns one run for concurrent submissions with the same idempotency key', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'idem', definition: { nodes: [sleepNode('a')] } },
    });
    const submissions = await Promise.all(
      Array.from({ length: 12 }, () =>
        stack.client.request(RunWorkflowDocument, {
          input: { workflowId: createWorkflow.id, inputs: {}, idempotencyKey: 'order-42' },
        }),
      ),
    );
    expect(new Set(submissions.map((s) => s.runWorkflow.id)).size).toBe(1);
    const other = await stack.client.request(RunWorkflowDocument, {
      input: { workflowId: createWorkflow.id, inputs: {}, idempotencyKey: 'order-43' },
    });
    expect(other.runWorkflow.id).not.toBe(submissions[0]?.runWorkflow.id);
    const events = await collectEvents(stack.client, submissions[0]!.runWorkflow.id);
    expect(describeEvents(events).filter((d) => d === 'RUN_QUEUED')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('RUN_SUCCEEDED');
  });

  it('never runs more of a block at once than its global limit, across worker processes', async () => {
    // Two runs of 6 independent sleeps each, driven by two worker processes, share one limit of 3.
    const definition = { nodes: Array.from({ length: 6 }, (_, i) => sleepNode(`s${i}`, { ms: 150 })) };
    const runs = await Promise.all([startRun(stack.client, definition), startRun(stack.client, definition)]);
    const outcomes = await Promise.all(runs.map((id) => collectEvents(stack.client, id)));
    for (const events of outcomes) expect(events.at(-1)?.type).toBe('RUN_SUCCEEDED');
    const stats = await gpuWorkerStats(stack.runpodEndpointUrl, stack.runpodApiKey);
    // measured inside the gpu-worker: the most debug.sleep jobs it ever ran at once
    expect(stats.maxConcurrentByBlock['debug.sleep']).toBe(3);
  });

  it("records a GPU node's job id while the job runs, not only with its result", async () => {
    const runId = await startRun(stack.client, { nodes: [sleepNode('long', { ms: 1500 })] });
    // RUNNING (which needs the job id stored) is visible while the gpu-worker still runs the job.
    const status = await waitFor(
      async () => (await stack.client.request(RunDocument, { id: runId })).run?.nodes[0]?.status,
      (s) => s === 'RUNNING',
      1000,
      20,
    );
    expect(status).toBe('RUNNING');
    const running = (await gpuWorkerStats(stack.runpodEndpointUrl, stack.runpodApiKey)).executions.filter(
      (x) => x.runId === runId,
    );
    expect(running.map((x) => x.status)).toEqual(['IN_PROGRESS']);
    const events = await collectEvents(stack.client, runId);
    const started = events.find((e) => e.type === 'NODE_STARTED');
    expect((started?.data as { jobId: string }).jobId).toBe(running[0]?.jobId);
    const succeeded = events.find((e) => e.type === 'NODE_SUCCEEDED');
    expect(Date.parse(succeeded?.at ?? '') - Date.parse(started?.at ?? '')).toBeGreaterThanOrEqual(1400);
  });

  it("streams a GPU node's progress as NODE_PROGRESS between its start and its end", async () => {
    const runId = await startRun(stack.client, { nodes: [sleepNode('long', { ms: 1500 })] });
    const events = await collectEvents(stack.client, runId);
    const described = describeEvents(events);
    const progress = events.filter((e) => e.type === 'NODE_PROGRESS');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const e of progress) {
      expect(e.progress).toBeGreaterThan(0);
      expect(e.progress).toBeLessThan(1);
    }
    expect(described.indexOf('NODE_PROGRESS:long#1')).toBeGreaterThan(described.indexOf('NODE_STARTED:long#1'));
    expect(described.lastIndexOf('NODE_PROGRESS:long#1')).toBeLessThan(described.indexOf('NODE_SUCCEEDED:long#1'));
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
  });

  it('skips nodes whose condition is false, and what needs them', async () => {
    const runId = await startRun(
      stack.client,
      {
        inputs: { enabled: 'boolean' },
        nodes: [
          sleepNode('gated', {}, { when: '$inputs.enabled' }),
          sleepNode('dependent', {}, { inputs: { after: '$nodes.gated.sleptMs' } }),
          sleepNode('always'),
        ],
        outputs: { gated: '$nodes.gated.sleptMs', always: '$nodes.always.attempt' },
      },
      { enabled: false },
    );
    const events = await collectEvents(stack.client, runId);
    const described = describeEvents(events);
    expect(described).toEqual(
      expect.arrayContaining(['NODE_SKIPPED:gated', 'NODE_SKIPPED:dependent', 'NODE_SUCCEEDED:always#1']),
    );
    expect(events.at(-1)).toMatchObject({ type: 'RUN_SUCCEEDED', output: { gated: null, always: 1 } });
  });
});
