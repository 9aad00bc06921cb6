/** @jest-environment ./test/support/native-realm-environment.js */
import { Writable } from 'node:stream';
import pino from 'pino';
import sharp from 'sharp';
import type { BlockHandler } from '../../src/blocks/block-handler';
import { BlockType, detectTextConfig } from '../../src/core/blocks';
import { NodeErrorCode, NonRetryableNodeError } from '../../src/core/errors';
import type { ImageValue, RecognizedText, TextDirection } from '../../src/core/values';
import {
  Device,
  ModelCache,
  ModelId,
  defaultModelFiles,
  ResolvedDevice,
  createModelBlockHandlers,
  type ModelBlockHandlers,
  type ModelBlockOptions,
} from '../../gpu-worker/src/models';
import { modelDefinitions, type ModelRegistry } from '../../gpu-worker/src/models/model-registry';
import { OnnxRuntime } from '../../gpu-worker/src/models/runtime/onnx-runtime';
import { base64Image, blockContext, normaliseText, renderText } from '../support/test-images';

const silent = pino({ level: 'silent' });
const open: ModelBlockHandlers[] = [];

/** Each test gets its own factory (own cache, own metrics); all are disposed after the file. */
function models(options: ModelBlockOptions = {}): ModelBlockHandlers {
  const created = createModelBlockHandlers({ logger: silent, device: 'cpu', env: {}, ...options });
  open.push(created);
  return created;
}
afterAll(async () => {
  await Promise.all(open.map((m) => m.dispose()));
});

function handler(m: ModelBlockHandlers, type: BlockType): BlockHandler {
  const found = m.handlers.get(type);
  if (!found) throw new Error(`no handler for ${type}`);
  return found;
}

/** A text line on a fixed 240x40 canvas: equal sizes share the recogniser's input width, so they can batch. */
async function line(text: string, upsideDown = false): Promise<ImageValue> {
  const png = await renderText(240, 40, [{ text, x: 6, y: 29, fontSize: 24 }]);
  return base64Image(upsideDown ? await sharp(png).rotate(180).png().toBuffer() : png);
}

const UNREADABLE: ImageValue = { base64: Buffer.from('this is not an image').toString('base64') };

describe('dynamic batching with the real models', () => {
  test('concurrent classify requests share batches; each gets its own answer; a bad one fails alone', async () => {
    const m = models({ batching: { [ModelId.TextDirection]: { maxBatchSize: 8, maxWaitMs: 50 } } });
    const classify = handler(m, BlockType.ClassifyTextDirection);
    const words = ['Alpha 1234', 'Bravo 5678', 'Delta 9012', 'Gamma 3456'];
    const images = [...(await Promise.all(words.map((w) => line(w)))), ...(await Promise.all(words.map((w) => line(w, true))))];
    await m.preload([ModelId.TextDirection]); // so the requests below meet in the batcher, not in the load
    const requests = [...images, UNREADABLE].map((image) =>
      classify({ images: [image] }, { minScore: 0.5 }, blockContext()).then((out) => (out.directions as TextDirection[])[0]),
    );
    const settled = await Promise.allSettled(requests);
    const angles = settled.slice(0, 8).map((r) => (r.status === 'fulfilled' ? r.value?.angle : 'failed'));
    expect(angles).toEqual([0, 0, 0, 0, 180, 180, 180, 180]);
    const bad = settled[8];
    expect(bad?.status).toBe('rejected');
    const reason = bad?.status === 'rejected' ? (bad.reason as unknown) : undefined;
    expect(reason).toBeInstanceOf(NonRetryableNodeError);
    expect((reason as NonRetryableNodeError).code).toBe(NodeErrorCode.InvalidInput);
    const batches = m.metrics().models[ModelId.TextDirection].batches;
    expect(batches.items).toBe(8);
    expect(batches.largestBatch).toBeGreaterThan(1);
    expect(batches.batches).toBeLessThan(8);

    // Batched answers equal unbatched ones: rows are assembled and split back correctly.
    const unbatched = models({ batching: { [ModelId.TextDirection]: { maxBatchSize: 1 } } });
    const alone = await handler(unbatched, BlockType.ClassifyTextDirection)({ images }, { minScore: 0.5 }, blockContext());
    const fulfilled = settled.slice(0, 8).map((r) => (r.status === 'fulfilled' ? r.value?.score : undefined));
    (alone.directions as TextDirection[]).forEach((d, i) => expect(d.score).toBeCloseTo(fulfilled[i] ?? -1, 3));
  });

  test('recognise requests batched at one padded width each read their own line', async () => {
    const m = models({ batching: { [ModelId.TextRecognizer]: { maxBatchSize: 4, maxWaitMs: 50 } } });
    const recognise = handler(m, BlockType.RecognizeText);
    const words = ['Alpha 1234', 'Bravo 5678', 'Delta 9012', 'Gamma 3456'];
    await m.preload([ModelId.TextRecognizer]);
    const texts = await Promise.all(
      words.map(async (w) => ((await recognise({ images: [await line(w)] }, {}, blockContext())).texts as RecognizedText[])[0]),
    );
    expect(texts.map((t) => normaliseText(t?.text ?? ''))).toEqual(words.map(normaliseText));
    expect(m.metrics().models[ModelId.TextRecognizer].batches.largestBatch).toBeGreaterThan(1);
  });

  test('CPU defaults: the classifier batches, the recogniser and the detectors do not', () => {
    const { models: metrics } = models().metrics();
    expect(metrics[ModelId.TextDirection].batching.maxBatchSize).toBe(16);
    expect(metrics[ModelId.TextRecognizer].batching.maxBatchSize).toBe(1);
    expect(metrics[ModelId.TextDetector].batching.maxBatchSize).toBe(1);
    // NanoDet's graph has a fixed batch of 1: no override can change that.
    const forced = models({ batching: { [ModelId.ObjectDetector]: { maxBatchSize: 8 } } });
    expect(forced.metrics().models[ModelId.ObjectDetector].batching.maxBatchSize).toBe(1);
  });
});

describe('model cache', () => {
  test('concurrent acquisitions of a cold model share one load', async () => {
    let loads = 0;
    const definitions = modelDefinitions(new OnnxRuntime(Device.Cpu, 0, silent), defaultModelFiles(), () => undefined);
    const counted = {
      ...definitions,
      [ModelId.TextDirection]: {
        ...definitions[ModelId.TextDirection],
        load: () => {
          loads += 1;
          return definitions[ModelId.TextDirection].load();
        },
      },
    };
    const cache = new ModelCache<ModelRegistry>(counted, { maxModels: 4, maxBytes: 1e9 }, silent);
    const leases = await Promise.all([1, 2, 3, 4, 5, 6].map(() => cache.acquire(ModelId.TextDirection)));
    expect(loads).toBe(1);
    expect(new Set(leases.map((l) => l.model)).size).toBe(1);
    expect(cache.metrics().models[ModelId.TextDirection]).toMatchObject({ coldLoads: 1, sharedLoads: 5, warmHits: 0 });
    leases.forEach((l) => l.release());
    (await cache.acquire(ModelId.TextDirection)).release();
    expect(cache.metrics().models[ModelId.TextDirection]).toMatchObject({ coldLoads: 1, warmHits: 1 });
    await cache.dispose();
  });

  test('through the handlers: concurrent cold requests load the model once', async () => {
    // The detector (the slowest ONNX load, ~150 ms) with no batching and 4 inferences in flight: four
    // separate batches, each leasing the model.
    const m = models({ batching: { [ModelId.TextDetector]: { maxBatchSize: 1, maxConcurrentBatches: 4 } } });
    const detectText = handler(m, BlockType.DetectText);
    const image = await line('Alpha 1234');
    await Promise.all([1, 2, 3, 4].map(() => detectText({ image }, detectTextConfig.parse({}), blockContext())));
    const det = m.metrics().models[ModelId.TextDetector];
    expect(det.coldLoads).toBe(1);
    // Requests that arrived during the load shared it; any that arrived after it found the model warm.
    expect(det.sharedLoads + det.warmHits).toBe(3);
    expect(det.batches.batches).toBe(4);
    expect(det.resident).toBe(true);
    expect(det.lastLoadMs).toBeGreaterThan(0);
  });

  test('a leased model is not evicted; it goes once released', async () => {
    const definitions = modelDefinitions(new OnnxRuntime(Device.Cpu, 0, silent), defaultModelFiles(), () => undefined);
    const cache = new ModelCache<ModelRegistry>(definitions, { maxModels: 1, maxBytes: 1e9 }, silent);
    const classifier = await cache.acquire(ModelId.TextDirection);
    const detector = await cache.acquire(ModelId.TextDetector);
    expect(cache.metrics().residentModels).toBe(2); // over budget while both are in use
    classifier.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.metrics().models[ModelId.TextDirection]).toMatchObject({ resident: false, evictions: 1 });
    detector.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.metrics().models[ModelId.TextDetector]).toMatchObject({ resident: true, evictions: 0 });
    await cache.dispose();
  });

  test('evicts the least recently used model beyond maxModels, and reloads it on demand', async () => {
    const m = models({ cache: { maxModels: 1 } });
    const image = await line('Alpha 1234');
    await handler(m, BlockType.ClassifyTextDirection)({ images: [image] }, { minScore: 0.5 }, blockContext());
    await handler(m, BlockType.RecognizeText)({ images: [image] }, {}, blockContext());
    let metrics = m.metrics();
    expect(metrics.residentModels).toBe(1);
    expect(metrics.models[ModelId.TextDirection]).toMatchObject({ resident: false, evictions: 1 });
    expect(metrics.models[ModelId.TextRecognizer]).toMatchObject({ resident: true, coldLoads: 1 });
    await handler(m, BlockType.ClassifyTextDirection)({ images: [image] }, { minScore: 0.5 }, blockContext());
    metrics = m.metrics();
    expect(metrics.models[ModelId.TextDirection]).toMatchObject({ resident: true, coldLoads: 2 });
    expect(metrics.models[ModelId.TextRecognizer]).toMatchObject({ resident: false, evictions: 1 });
  });

  test('evicts by bytes: the detector (4.7 MB) and the recogniser (10.8 MB) do not fit in 12 MB together', async () => {
    const m = models({ cache: { maxBytes: 12_000_000 } });
    await m.preload([ModelId.TextDetector, ModelId.TextDirection]);
    expect(m.metrics().residentModels).toBe(2);
    await m.preload([ModelId.TextRecognizer]);
    const metrics = m.metrics();
    expect(metrics.residentBytes).toBeLessThanOrEqual(12_000_000);
    expect(metrics.models[ModelId.TextRecognizer].resident).toBe(true);
    expect(metrics.models[ModelId.TextDetector]).toMatchObject({ resident: false, evictions: 1 });
  });

  test('preloads WARM_MODELS from the environment', async () => {
    const m = models({ env: { WARM_MODELS: `${ModelId.TextDirection}, ${ModelId.ObjectDetector}` } });
    expect(m.options.warmModels).toEqual([ModelId.TextDirection, ModelId.ObjectDetector]);
    await m.preload();
    const metrics = m.metrics();
    expect(metrics.models[ModelId.TextDirection]).toMatchObject({ resident: true, coldLoads: 1 });
    expect(metrics.models[ModelId.ObjectDetector]).toMatchObject({ resident: true, coldLoads: 1, device: ResolvedDevice.Cpu });
    expect(metrics.models[ModelId.TextRecognizer].resident).toBe(false);
  });

  test('a failed load is reported and retried on the next request, not cached', async () => {
    const m = models({ files: { textDirection: '/nonexistent/cls.onnx' } });
    const classify = handler(m, BlockType.ClassifyTextDirection);
    const image = await line('Alpha 1234');
    await expect(classify({ images: [image] }, { minScore: 0.5 }, blockContext())).rejects.toThrow();
    await expect(classify({ images: [image] }, { minScore: 0.5 }, blockContext())).rejects.toThrow();
    expect(m.metrics().models[ModelId.TextDirection]).toMatchObject({ loadFailures: 2, coldLoads: 0, resident: false });
  });
});

describe('devices and options', () => {
  test('SWITCHYARD_DEVICE=cuda without the CUDA provider falls back to the CPU and logs it', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const m = createModelBlockHandlers({ logger, env: { SWITCHYARD_DEVICE: 'cuda' } });
    open.push(m);
    expect(m.options.device).toBe('cuda');
    await m.preload([ModelId.TextDirection]);
    expect(m.metrics().models[ModelId.TextDirection].device).toBe(ResolvedDevice.Cpu);
    const fallback = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => /CUDA/.test(l.msg));
    expect(fallback?.level).toBe(50); // error: CUDA was asked for explicitly
  });

  test('bad environment values are rejected when the handlers are created', () => {
    expect(() => createModelBlockHandlers({ logger: silent, env: { SWITCHYARD_DEVICE: 'tpu' } })).toThrow(/SWITCHYARD_DEVICE/);
    expect(() => createModelBlockHandlers({ logger: silent, env: { WARM_MODELS: 'yolo' } })).toThrow(/unknown model "yolo"/);
    expect(() => createModelBlockHandlers({ logger: silent, cache: { maxModels: 0 } })).toThrow(RangeError);
  });
});
