import { createClient as createSupabase } from '@supabase/supabase-js';
import {
  CreateWorkflowDocument,
  RunDocument,
  RunEventsDocument,
  RunWorkflowDocument,
  type RunEventFieldsFragment,
} from '../../src/client/generated/graphql';
import { DatabaseRole, signDatabaseJwt } from '../../src/store/jwt';
import { startTestStack, type TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait-for';

/**
 * Issue 2's scenario, through the generated typed client over real HTTP and a real graphql-ws
 * client, against the whole stack as real processes.
 */
describe('walking skeleton: one run travels the whole system', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.teardown();
  });

  const definition = {
    nodes: [
      { id: 'left', block: 'debug.sleep', config: { ms: 400 } },
      { id: 'right', block: 'debug.sleep', config: { ms: 400 } },
      { id: 'join', block: 'debug.sleep', inputs: { after: ['$nodes.left.sleptMs', '$nodes.right.sleptMs'] } },
    ],
    outputs: { left: '$nodes.left.sleptMs', joinAttempt: '$nodes.join.attempt' },
  };

  it('streams every event in order, runs independent nodes concurrently, and stores the result in Postgres', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: { name: 'three sleeps', definition },
    });
    expect(createWorkflow.version).toBe(1);

    const { runWorkflow } = await stack.client.request(RunWorkflowDocument, {
      input: { workflowId: createWorkflow.id, inputs: {} },
    });
    const events: RunEventFieldsFragment[] = [];
    for await (const { runEvents } of stack.client.subscribe(RunEventsDocument, { runId: runWorkflow.id })) {
      events.push(runEvents);
    }

    // seq 1, 2, 3... with no gap or duplicate, replay and live together
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
    const types = events.map((e) => `${e.type}${e.nodeId ? `:${e.nodeId}` : ''}`);
    expect(types[0]).toBe('RUN_QUEUED');
    expect(types[1]).toBe('RUN_STARTED');
    expect(types.at(-1)).toBe('RUN_SUCCEEDED');
    for (const node of ['left', 'right', 'join']) {
      const mine = types.filter((t) => t.endsWith(`:${node}`));
      expect(mine).toEqual([`NODE_QUEUED:${node}`, `NODE_STARTED:${node}`, `NODE_SUCCEEDED:${node}`]);
    }
    expect(types).toHaveLength(2 + 9 + 1);
    // join starts only after both inputs succeeded
    expect(types.indexOf('NODE_QUEUED:join')).toBeGreaterThan(types.indexOf('NODE_SUCCEEDED:left'));
    expect(types.indexOf('NODE_QUEUED:join')).toBeGreaterThan(types.indexOf('NODE_SUCCEEDED:right'));

    // the two independent nodes ran at the same time: their RUNNING intervals overlap
    const at = (type: string, node: string): number =>
      Date.parse(events.find((e) => e.type === type && e.nodeId === node)?.at ?? '');
    const overlap =
      Math.min(at('NODE_SUCCEEDED', 'left'), at('NODE_SUCCEEDED', 'right')) -
      Math.max(at('NODE_STARTED', 'left'), at('NODE_STARTED', 'right'));
    expect(overlap).toBeGreaterThan(0);

    const final = events.at(-1) as RunEventFieldsFragment;
    expect(final.output).toEqual({ left: expect.any(Number), joinAttempt: 1 });

    // run(id) returns the stored run with every node's result
    const { run } = await stack.client.request(RunDocument, { id: runWorkflow.id });
    expect(run).toMatchObject({ id: runWorkflow.id, status: 'SUCCEEDED', outputs: final.output, lastSeq: final.seq });
    expect(run?.nodes.map((n) => [n.nodeId, n.status, n.attempts])).toEqual([
      ['left', 'SUCCEEDED', 1],
      ['right', 'SUCCEEDED', 1],
      ['join', 'SUCCEEDED', 1],
    ]);
    expect(run?.nodes[0]?.output).toEqual({ sleptMs: expect.any(Number), attempt: 1 });

    // ...and the batching writer put exactly that in Postgres (read through PostgREST with supabase-js)
    const key = await signDatabaseJwt(stack.jwtSecret, DatabaseRole.ServiceRole);
    const db = createSupabase(`${stack.supabaseUrl}`, key, {
      auth: { persistSession: false },
      global: { fetch: (input, init) => fetch(String(input).replace('/rest/v1/', '/'), init) },
    });
    const stored = await waitFor(
      async () => (await db.from('runs').select('status,last_seq,outputs').eq('id', runWorkflow.id).maybeSingle()).data,
      (row) => row?.last_seq === final.seq,
    );
    expect(stored).toEqual({ status: 'SUCCEEDED', last_seq: final.seq, outputs: final.output });
    const { count } = await db.from('run_events').select('seq', { count: 'exact', head: true }).eq('run_id', runWorkflow.id);
    expect(count).toBe(events.length);
  });
});
