/** @jest-environment ./test/support/native-realm-environment.js */
import pino from 'pino';
import sharp from 'sharp';
import { BlockType, detectObjectsConfig, detectTextConfig } from '../../src/core/blocks';
import { NodeErrorCode, NonRetryableNodeError } from '../../src/core/errors';
import { createModelBlockHandlers, ModelId, type ModelBlockHandlers } from '../../gpu-worker/src/models';
import { startImageServer } from '../support/image-server';
import { base64Image, blockContext } from '../support/test-images';

let models: ModelBlockHandlers;
let server: Awaited<ReturnType<typeof startImageServer>>;

beforeAll(async () => {
  models = createModelBlockHandlers({ logger: pino({ level: 'silent' }), device: 'cpu', env: {}, image: { maxSidePx: 2000 } });
  server = await startImageServer({});
});
afterAll(async () => {
  await models.dispose();
  await server.close();
});

const CONFIGS: Record<string, unknown> = {
  [BlockType.DetectText]: detectTextConfig.parse({}),
  [BlockType.DetectObjects]: detectObjectsConfig.parse({}),
  [BlockType.ClassifyTextDirection]: { minScore: 0.9 },
  [BlockType.RecognizeText]: {},
};
const SINGLE_IMAGE_BLOCKS = [BlockType.DetectText, BlockType.DetectObjects];
const IMAGE_LIST_BLOCKS = [BlockType.ClassifyTextDirection, BlockType.RecognizeText];

async function run(type: BlockType, image: unknown, signal?: AbortSignal): Promise<unknown> {
  const handler = models.handlers.get(type);
  if (!handler) throw new Error(`no handler for ${type}`);
  const inputs = SINGLE_IMAGE_BLOCKS.includes(type) ? { image } : { images: [image] };
  return handler(inputs, CONFIGS[type], blockContext(signal));
}

async function invalidInput(promise: Promise<unknown>): Promise<NonRetryableNodeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NonRetryableNodeError);
  expect((err as NonRetryableNodeError).code).toBe(NodeErrorCode.InvalidInput);
  return err as NonRetryableNodeError;
}

describe.each([...SINGLE_IMAGE_BLOCKS, ...IMAGE_LIST_BLOCKS])('%s rejects bad images as INVALID_INPUT', (type) => {
  test('unreadable base64', async () => {
    await invalidInput(run(type, { base64: '%%% not base64 %%%' }));
  });
  test('a GIF, and a text file', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } })
      .gif()
      .toBuffer();
    expect((await invalidInput(run(type, base64Image(gif)))).message).toMatch(/gif is not supported/);
    await invalidInput(run(type, base64Image(Buffer.from('just some text'))));
  });
  test('an image over the size limit', async () => {
    const big = await sharp({ create: { width: 2100, height: 40, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    expect((await invalidInput(run(type, base64Image(big)))).message).toMatch(/too large: 2100x40/);
  });
  test('a URL that answers 404', async () => {
    expect((await invalidInput(run(type, { url: server.url('/nowhere.png') }))).message).toMatch(/HTTP 404/);
  });
  test('a value that is not an image', async () => {
    await invalidInput(run(type, 'dog.jpg'));
    await invalidInput(run(type, undefined));
  });
});

test.each(IMAGE_LIST_BLOCKS)('%s wants a list of images', async (type) => {
  const handler = models.handlers.get(type);
  await invalidInput(handler?.({ images: { base64: 'AAAA' } }, CONFIGS[type], blockContext()) ?? Promise.resolve());
  await invalidInput(handler?.({}, CONFIGS[type], blockContext()) ?? Promise.resolve());
});

test('no model was loaded to reject any of this', () => {
  for (const id of [ModelId.TextDetector, ModelId.TextDirection, ModelId.TextRecognizer, ModelId.ObjectDetector]) {
    expect(models.metrics().models[id].coldLoads).toBe(0);
  }
});

test('an aborted signal stops a request before inference', async () => {
  const controller = new AbortController();
  controller.abort(new Error('run cancelled'));
  const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  await expect(run(BlockType.RecognizeText, base64Image(png), controller.signal)).rejects.toThrow('run cancelled');
  expect(models.metrics().models[ModelId.TextRecognizer].batches.items).toBe(0);
});
