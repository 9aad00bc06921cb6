import { CancelRunDocument, CreateWorkflowDocument, RunDocument, RunWorkflowDocument } from '../../src/client/generated/graphql';
import { StackProcess } from '../../src/stack/stack';
import { startTestStack, type TestStack } from '../support/test-stack';
import { collectEvents, describeEvents, sleepNode } from '../support/run-helpers';

/** What happens before a worker takes a run: priority order, and cancelling a queued run. */
describe('queued runs', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // No worker at first, so runs stay queued until the test starts one.
    stack = await startTestStack({ workers: 0, envFor: { [StackProcess.Worker]: { WORKER_CONCURRENCY: '1' } } });
  }, 120_000);

  afterAll(async () => {
    await stack?.teardown();
  });

  it('cancels a run that no worker has taken yet, at once', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'q', definition: { nodes: [sleepNode('a'), sleepNode('b')] } },
    });
    const { runWorkflow } = await stack.client.request(RunWorkflowDocument, {
      input: { workflowId: createWorkflow.id, inputs: {} },
    });
    const { cancelRun } = await stack.client.request(CancelRunDocument, { id: runWorkflow.id });
    expect(cancelRun.status).toBe('CANCELLED');
    expect(cancelRun.nodes.map((n) => n.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(describeEvents(await collectEvents(stack.client, runWorkflow.id))).toEqual([
      'RUN_QUEUED',
      'NODE_CANCELLED:a',
      'NODE_CANCELLED:b',
      'RUN_CANCELLED',
    ]);
  });

  it('starts higher-priority runs first', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'p', definition: { nodes: [sleepNode('a', { ms: 20 })] } },
    });
    const ids: Record<string, string> = {};
    for (const priority of [0, 10, -5, 3]) {
      const { runWorkflow } = await stack.client.request(RunWorkflowDocument, {
        input: { workflowId: createWorkflow.id, inputs: {}, priority },
      });
      expect(runWorkflow.priority).toBe(priority);
      ids[priority] = runWorkflow.id;
    }
    await stack.spawn(StackProcess.Worker, 'worker-late');
    const startedAt: Array<[string, number]> = [];
    for (const [priority, id] of Object.entries(ids)) {
      const events = await collectEvents(stack.client, id);
      expect(events.at(-1)?.type).toBe('RUN_SUCCEEDED');
      startedAt.push([priority, Date.parse(events.find((e) => e.type === 'RUN_STARTED')!.at)]);
    }
    expect(startedAt.sort((a, b) => a[1] - b[1]).map(([p]) => Number(p))).toEqual([10, 3, 0, -5]);
    const { run } = await stack.client.request(RunDocument, { id: ids['10']! });
    expect(run?.priority).toBe(10);
  });
});
