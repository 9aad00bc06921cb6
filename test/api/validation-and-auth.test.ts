import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CreateWorkflowDocument, RunWorkflowDocument } from '../../src/client/generated/graphql';
import { SwitchyardClient, SwitchyardClientError } from '../../src/client/switchyard-client';
import { startTestStack, type TestStack } from '../support/test-stack';

describe('the API rejects bad definitions and unauthenticated clients', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.teardown();
  });

  async function createError(definition: unknown): Promise<SwitchyardClientError> {
    try {
      await stack.client.request(CreateWorkflowDocument, { input: { name: 'bad', definition } });
    } catch (err) {
      if (err instanceof SwitchyardClientError) return err;
      throw err;
    }
    throw new Error('createWorkflow accepted a bad definition');
  }

  const sleep = (id: string, inputs?: Record<string, unknown>) => ({ id, block: 'debug.sleep', ...(inputs ? { inputs } : {}) });

  it.each([
    [
      'a cycle',
      {
        nodes: [
          sleep('a', { after: '$nodes.c.sleptMs' }),
          sleep('b', { after: '$nodes.a.sleptMs' }),
          sleep('c', { after: '$nodes.b.sleptMs' }),
        ],
      },
      'nodes[0].inputs.after',
      /cycle: a -> b -> c -> a/,
    ],
    [
      'an unknown block',
      { nodes: [sleep('a'), { id: 'b', block: 'detect.unicorns' }] },
      'nodes[1].block',
      /unknown block "detect.unicorns"/,
    ],
    [
      'a dangling selector',
      { nodes: [sleep('a'), sleep('b', { after: '$nodes.ghost.sleptMs' })] },
      'nodes[1].inputs.after',
      /node "ghost", which does not exist/,
    ],
    [
      'a selector to a missing port',
      { nodes: [sleep('a'), sleep('b', { after: '$nodes.a.nothing' })] },
      'nodes[1].inputs.after',
      /has no output "nothing"/,
    ],
    [
      'a kind mismatch',
      {
        inputs: { n: 'number' },
        nodes: [{ id: 'crop', block: 'image.crop', inputs: { image: '$inputs.n', boxes: '$inputs.n' } }],
      },
      'nodes[0].inputs.image',
      /yields number, but port "image" takes image/,
    ],
    ['bad config', { nodes: [{ id: 'a', block: 'debug.sleep', config: { ms: -5 } }] }, 'nodes[0].config.ms', /too small|>=0/i],
    ['a duplicate id', { nodes: [sleep('a'), sleep('a')] }, 'nodes[1].id', /duplicate node id "a"/],
  ])('rejects %s with BAD_USER_INPUT and the path of the offending part', async (_name, definition, path, message) => {
    const err = await createError(definition);
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.errors[0]?.extensions?.path).toBe(path);
    expect(err.errors[0]?.message).toMatch(message);
  });

  it('rejects run inputs that do not match the declared ones, with their path', async () => {
    const { createWorkflow } = await stack.client.request(CreateWorkflowDocument, {
      input: {
        name: 'needs an image',
        definition: {
          inputs: { image: 'image' },
          nodes: [{ id: 'd', block: 'detect.text', inputs: { image: '$inputs.image' } }],
        },
      },
    });
    await expect(
      stack.client.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs: { image: 42 } } }),
    ).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ path: 'inputs.image' }) })],
    });
  });

  it('keeps serving after bad input', async () => {
    const res = await fetch(stack.apiUrl.replace('/graphql', '/healthz'));
    expect(res.status).toBe(200);
  });

  it('rejects HTTP requests without a valid key with UNAUTHENTICATED (401)', async () => {
    for (const authorization of [undefined, 'Bearer not-a-key', 'Basic abc']) {
      const res = await fetch(stack.apiUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: '{ blocks { type } }' }),
      });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
    const wrong = new SwitchyardClient({ url: stack.apiUrl, apiKey: 'sy_wrong_key_wrong_key' });
    await expect(wrong.request(CreateWorkflowDocument, { input: { name: 'x', definition: {} } })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('closes WebSocket connections without a valid key with 4401', async () => {
    for (const connectionParams of [{}, { authorization: 'Bearer nope-nope-nope' }]) {
      const closed = new Promise<number>((resolve) => {
        const client = createClient({
          url: stack.wsUrl,
          webSocketImpl: WebSocket,
          connectionParams,
          retryAttempts: 0,
          on: { closed: (event) => resolve((event as { code: number }).code) },
        });
        client.subscribe(
          { query: 'subscription { runEvents(runId: "00000000-0000-0000-0000-000000000000") { seq } }' },
          {
            next: () => undefined,
            error: () => undefined,
            complete: () => undefined,
          },
        );
      });
      expect(await closed).toBe(4401);
    }
  });

  it('answers HTTP 413 for bodies over the limit', async () => {
    const res = await fetch(stack.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.bootstrapKey}` },
      body: JSON.stringify({ query: '{ blocks { type } }', variables: { pad: 'x'.repeat(17 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
  });
});
