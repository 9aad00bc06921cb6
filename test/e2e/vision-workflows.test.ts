import { RunDocument } from '../../src/client/generated/graphql';
import { startTestStack, type TestStack } from '../support/test-stack';
import { collectEvents, startRun } from '../support/run-helpers';
import { base64Image, darknetPhoto, normaliseText, renderText } from '../support/test-images';

/**
 * Real blocks through the whole system: GPU blocks (real PaddleOCR and NanoDet models) through the
 * RunPod endpoint API of the gpu-worker, CPU blocks inside the worker, values flowing between them.
 */
describe('vision workflows end to end', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.teardown();
  });

  it('reads the text of an image: detect.text -> image.crop -> classify + recognize.text', async () => {
    const page = await renderText(640, 200, [
      { text: 'SWITCHYARD 2026', x: 30, y: 80, fontSize: 48 },
      { text: 'Hello World', x: 30, y: 160, fontSize: 40 },
    ]);
    const runId = await startRun(
      stack.client,
      {
        inputs: { image: 'image' },
        nodes: [
          { id: 'text', block: 'detect.text', inputs: { image: '$inputs.image' } },
          { id: 'crops', block: 'image.crop', inputs: { image: '$inputs.image', boxes: '$nodes.text.boxes' } },
          { id: 'direction', block: 'classify.text_direction', inputs: { images: '$nodes.crops.images' } },
          { id: 'words', block: 'recognize.text', inputs: { images: '$nodes.crops.images' } },
        ],
        outputs: { words: '$nodes.words.texts', directions: '$nodes.direction.directions', boxes: '$nodes.text.boxes' },
      },
      { image: { base64: `data:image/png;base64,${page.toString('base64')}` } },
    );
    const events = await collectEvents(stack.client, runId);
    expect(events.at(-1)?.type).toBe('RUN_SUCCEEDED');
    const output = events.at(-1)?.output as {
      words: Array<{ text: string; score: number }>;
      directions: Array<{ angle: number }>;
      boxes: unknown[];
    };
    expect(output.boxes).toHaveLength(2);
    expect(output.words.map((w) => normaliseText(w.text))).toEqual(['switchyard2026', 'helloworld']);
    expect(output.directions.map((d) => d.angle)).toEqual([0, 0]);
    // detect.text and words ran on the gpu-worker (RunPod job ids), crops inside the worker
    const started = events.filter((e) => e.type === 'NODE_STARTED');
    expect(
      started
        .filter((e) => (e.data as { jobId?: string } | null)?.jobId)
        .map((e) => e.nodeId)
        .sort(),
    ).toEqual(['direction', 'text', 'words']);
  });

  it('finds a dog in dog.jpg and annotates the photo', async () => {
    const runId = await startRun(
      stack.client,
      {
        inputs: { photo: 'image' },
        nodes: [
          { id: 'objects', block: 'detect.objects', inputs: { image: '$inputs.photo' }, config: { minScore: 0.3 } },
          {
            id: 'animals',
            block: 'detections.filter',
            inputs: { detections: '$nodes.objects.detections' },
            config: { labels: ['dog', 'cat'] },
          },
          { id: 'drawn', block: 'image.annotate', inputs: { image: '$inputs.photo', detections: '$nodes.animals.detections' } },
        ],
        outputs: { animals: '$nodes.animals.detections', count: '$nodes.animals.count', picture: '$nodes.drawn.image' },
      },
      { photo: base64Image(darknetPhoto('dog.jpg')) },
    );
    const events = await collectEvents(stack.client, runId);
    expect(events.at(-1)?.type).toBe('RUN_SUCCEEDED');
    const { run } = await stack.client.request(RunDocument, { id: runId });
    const outputs = run?.outputs as {
      animals: Array<{ label: string; score: number; box: { width: number } }>;
      count: number;
      picture: { base64: string };
    };
    expect(outputs.count).toBeGreaterThanOrEqual(1);
    expect(outputs.animals[0]).toMatchObject({ label: 'dog', box: { width: expect.any(Number) } });
    expect(outputs.picture.base64).toMatch(/^data:image\/png;base64,/);
  });

  it('fails a node whose image cannot be read, at once and without retries', async () => {
    const runId = await startRun(
      stack.client,
      { inputs: { image: 'image' }, nodes: [{ id: 'text', block: 'detect.text', inputs: { image: '$inputs.image' } }] },
      { image: { base64: 'bm90IGFuIGltYWdl' } },
    );
    const events = await collectEvents(stack.client, runId);
    expect(events.filter((e) => e.type === 'NODE_RETRYING')).toEqual([]);
    expect(events.find((e) => e.type === 'NODE_FAILED')?.error).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    expect(events.at(-1)?.type).toBe('RUN_FAILED');
  });
});
