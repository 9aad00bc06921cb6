import { Client } from 'pg';
import {
  CancelRunDocument,
  CreateWorkflowDocument,
  RunDocument,
  RunEventsDocument,
  RunsDocument,
  RunWorkflowDocument,
  WorkflowDocument,
  WorkflowsDocument,
  UpdateWorkflowDocument,
} from '../../src/client/generated/graphql';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import { hashApiKey } from '../../src/api/auth';
import { ADMIN_URL, startTestStack, type TestStack } from '../support/test-stack';
import { collectEvents, sleepNode } from '../support/run-helpers';

describe('lists, versions and tenants', () => {
  let stack: TestStack;
  let other: SwitchyardClient;

  beforeAll(async () => {
    stack = await startTestStack();
    // A second tenant with a key of its own, stored hashed as the API keeps keys.
    const db = new Client({ connectionString: ADMIN_URL.replace(/\/[^/]*$/, `/${stack.options.database}`) });
    await db.connect();
    await db.query("insert into tenants (id, name) values ('acme', 'Acme')");
    await db.query("insert into api_keys (tenant_id, key_hash, name) values ('acme', $1, 'test')", [
      hashApiKey('sy_acme_key_0123456789'),
    ]);
    await db.end();
    other = new SwitchyardClient({ url: stack.apiUrl, apiKey: 'sy_acme_key_0123456789' });
  }, 120_000);

  afterAll(async () => {
    await other?.close();
    await stack?.teardown();
  });

  it('lists runs newest first, the moment they are created, with cursors and filters', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'listed', definition: { nodes: [sleepNode('a', { ms: 60_000 })] } },
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { runWorkflow } = await stack.client.request(RunWorkflowDocument, {
        input: { workflowId: createWorkflow.id, inputs: {} },
      });
      ids.push(runWorkflow.id);
    }
    // at once, before the batching writer has necessarily stored them
    const first = await stack.client.request(RunsDocument, { first: 2, filter: { workflowId: createWorkflow.id } });
    expect(first.runs.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1]]);
    expect(first.runs.pageInfo.hasNextPage).toBe(true);
    const second = await stack.client.request(RunsDocument, {
      first: 2,
      after: first.runs.pageInfo.endCursor,
      filter: { workflowId: createWorkflow.id },
    });
    expect(second.runs.edges.map((e) => e.node.id)).toEqual([ids[0]]);
    expect(second.runs.pageInfo.hasNextPage).toBe(false);

    // The runs sleep for a minute, so only the cancelled one can be CANCELLED when the filter runs.
    await stack.client.request(CancelRunDocument, { id: ids[1]! });
    await collectEvents(stack.client, ids[1]!);
    const cancelled = await stack.client.request(RunsDocument, {
      filter: { workflowId: createWorkflow.id, status: 'CANCELLED' },
    });
    expect(cancelled.runs.edges.map((e) => e.node.id)).toEqual([ids[1]]);
    for (const id of [ids[0]!, ids[2]!]) await stack.client.request(CancelRunDocument, { id });
  });

  it('keeps workflow versions; a run uses the version it started with', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'v', definition: { nodes: [sleepNode('one')] } },
    });
    const { runWorkflow } = await stack.client.request(RunWorkflowDocument, {
      input: { workflowId: createWorkflow.id, inputs: {} },
    });
    const { updateWorkflow } = await stack.client.request(UpdateWorkflowDocument, {
      id: createWorkflow.id,
      input: { name: 'v2', definition: { nodes: [sleepNode('two'), sleepNode('three')] } },
    });
    expect(updateWorkflow).toMatchObject({ version: 2, name: 'v2' });
    await collectEvents(stack.client, runWorkflow.id);
    const { run } = await stack.client.request(RunDocument, { id: runWorkflow.id });
    expect(run?.workflowVersion).toBe(1);
    expect(run?.nodes.map((n) => n.nodeId)).toEqual(['one']);
    const again = await stack.client.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs: {} } });
    expect(again.runWorkflow.workflowVersion).toBe(2);
    expect(again.runWorkflow.nodes.map((n) => n.nodeId)).toEqual(['two', 'three']);
    const { workflows } = await stack.client.request(WorkflowsDocument, { first: 100 });
    expect(workflows.edges.map((e) => e.node.id)).toContain(createWorkflow.id);
  });

  it('shows a tenant only its own workflows, runs and events', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'private', definition: { nodes: [sleepNode('a')] } },
    });
    const { runWorkflow } = await stack.client.request(RunWorkflowDocument, {
      input: { workflowId: createWorkflow.id, inputs: {} },
    });
    await collectEvents(stack.client, runWorkflow.id);

    expect((await other.request(WorkflowDocument, { id: createWorkflow.id })).workflow).toBeNull();
    expect((await other.request(RunDocument, { id: runWorkflow.id })).run).toBeNull();
    expect((await other.request(WorkflowsDocument, {})).workflows.edges).toEqual([]);
    expect((await other.request(RunsDocument, {})).runs.edges).toEqual([]);
    await expect(
      other.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs: {} } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(other.request(CancelRunDocument, { id: runWorkflow.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const events = other.subscribe(RunEventsDocument, { runId: runWorkflow.id });
    await expect(events.next()).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // ...while its own work goes on as usual
    const mine = await other.request(CreateWorkflowDocument, {
      input: { name: 'acme flow', definition: { nodes: [sleepNode('x')] } },
    });
    const { runWorkflow: acmeRun } = await other.request(RunWorkflowDocument, {
      input: { workflowId: mine.createWorkflow.id, inputs: {} },
    });
    expect((await collectEvents(other, acmeRun.id)).at(-1)?.type).toBe('RUN_SUCCEEDED');
    expect((await stack.client.request(RunDocument, { id: acmeRun.id })).run).toBeNull();
  });
});
