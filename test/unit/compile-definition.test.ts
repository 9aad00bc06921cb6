import { BLOCK_CATALOG } from '../../src/core/blocks';
import { compileDefinition } from '../../src/core/definition';
import { InvalidDefinitionError } from '../../src/core/errors';
import { DEFAULT_RETRY_POLICY } from '../../src/core/retry-policy';

function issuesOf(def: unknown, limits?: { maxNodes: number; maxDefinitionBytes: number }) {
  try {
    compileDefinition(def, BLOCK_CATALOG, limits);
  } catch (err) {
    if (err instanceof InvalidDefinitionError) return err.issues.map((i) => i.path);
    throw err;
  }
  return [];
}

describe('compileDefinition', () => {
  const contractExample = {
    inputs: { image: 'image' },
    nodes: [
      { id: 'objects', block: 'detect.objects', inputs: { image: '$inputs.image' }, config: { minScore: 0.4 } },
      { id: 'text', block: 'detect.text', inputs: { image: '$inputs.image' } },
      { id: 'crops', block: 'image.crop', inputs: { image: '$inputs.image', boxes: '$nodes.text.boxes' } },
      {
        id: 'words',
        block: 'recognize.text',
        inputs: { images: '$nodes.crops.images' },
        retry: { maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 10000 },
        timeoutMs: 30000,
      },
    ],
    outputs: { objects: '$nodes.objects.detections', words: '$nodes.words.texts' },
  };

  it("accepts the contract's example and compiles its edges, order, config and policies", () => {
    const def = compileDefinition(contractExample, BLOCK_CATALOG);
    expect(def.order).toEqual(['objects', 'text', 'crops', 'words']);
    expect(def.nodes.get('crops')?.dependsOn).toEqual(['text']);
    expect(def.nodes.get('text')?.dependants).toEqual(['crops']);
    expect(def.nodes.get('objects')?.config).toMatchObject({ minScore: 0.4, maxDetections: 100 });
    expect(def.nodes.get('words')?.retry).toEqual({ maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 10000 });
    expect(def.nodes.get('text')?.retry).toEqual(DEFAULT_RETRY_POLICY);
    expect(def.nodes.get('words')?.timeoutMs).toBe(30000);
  });

  it("applies the definition's default retry to nodes without one", () => {
    const def = compileDefinition(
      { defaults: { retry: { maxAttempts: 7 } }, nodes: [{ id: 'a', block: 'debug.sleep' }] },
      BLOCK_CATALOG,
    );
    expect(def.nodes.get('a')?.retry).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 7 });
  });

  it.each([
    ['not an object', 'x', ['$']],
    ['no nodes', { nodes: [] }, ['nodes']],
    ['a malformed id', { nodes: [{ id: '1bad', block: 'debug.sleep' }] }, ['nodes[0].id']],
    ['an unknown top-level field', { nodes: [{ id: 'a', block: 'debug.sleep' }], extra: 1 }, ['extra']],
    ['an unknown port', { nodes: [{ id: 'a', block: 'debug.sleep', inputs: { nope: '$nodes.a.x' } }] }, ['nodes[0].inputs.nope']],
    ['a missing required input', { nodes: [{ id: 't', block: 'detect.text' }] }, ['nodes[0].inputs.image']],
    [
      'an undeclared run input',
      { nodes: [{ id: 't', block: 'detect.text', inputs: { image: '$inputs.photo' } }] },
      ['nodes[0].inputs.image'],
    ],
    [
      'a malformed selector',
      { inputs: { i: 'image' }, nodes: [{ id: 't', block: 'detect.text', inputs: { image: 'inputs.i' } }] },
      ['nodes[0].inputs.image'],
    ],
    [
      'a list into a single-value port',
      { inputs: { i: 'image' }, nodes: [{ id: 't', block: 'detect.text', inputs: { image: ['$inputs.i'] } }] },
      ['nodes[0].inputs.image'],
    ],
    [
      'a non-boolean condition',
      { inputs: { n: 'number' }, nodes: [{ id: 'a', block: 'debug.sleep', when: '$inputs.n' }] },
      ['nodes[0].when'],
    ],
    ['a bad output selector', { nodes: [{ id: 'a', block: 'debug.sleep' }], outputs: { x: '$nodes.b.sleptMs' } }, ['outputs.x']],
    ['a bad retry', { nodes: [{ id: 'a', block: 'debug.sleep', retry: { maxAttempts: 0 } }] }, ['nodes[0].retry.maxAttempts']],
    [
      'a self-loop',
      { nodes: [{ id: 'a', block: 'debug.sleep', inputs: { after: '$nodes.a.sleptMs' } }] },
      ['nodes[0].inputs.after'],
    ],
  ])('rejects %s at its path', (_name, def, paths) => {
    expect(issuesOf(def)).toEqual(paths);
  });

  it('reports every issue at once', () => {
    expect(
      issuesOf({
        nodes: [
          { id: 'a', block: 'nope' },
          { id: 'a', block: 'debug.sleep' },
          { id: 'c', block: 'debug.sleep', config: { ms: 'x' } },
        ],
      }),
    ).toEqual(['nodes[1].id', 'nodes[0].block', 'nodes[2].config.ms']);
  });

  it('enforces the node and size limits', () => {
    const nodes = Array.from({ length: 4 }, (_, i) => ({ id: `n${i}`, block: 'debug.sleep' }));
    expect(issuesOf({ nodes }, { maxNodes: 3, maxDefinitionBytes: 1e6 })).toEqual(['nodes']);
    expect(issuesOf({ nodes }, { maxNodes: 10, maxDefinitionBytes: 50 })).toEqual(['$']);
  });

  it('accepts a list of selectors into a list port, and any kind into an any port', () => {
    const def = compileDefinition(
      {
        inputs: { a: 'image', b: 'image' },
        nodes: [
          { id: 'words', block: 'recognize.text', inputs: { images: ['$inputs.a', '$inputs.b'] } },
          { id: 'wait', block: 'debug.sleep', inputs: { after: '$nodes.words.texts' } },
        ],
      },
      BLOCK_CATALOG,
    );
    expect(def.nodes.get('words')?.inputs[0]).toMatchObject({ port: 'images', list: true });
    expect(def.order).toEqual(['words', 'wait']);
  });
});
