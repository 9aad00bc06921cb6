import type { BlockHandler } from '../../../src/blocks/block-handler';
import { BlockType } from '../../../src/core/blocks';
import type { RecognizedText } from '../../../src/core/values';
import { createClassifyTextDirectionHandler } from './blocks/classify-text-direction-block';
import { createDetectObjectsHandler } from './blocks/detect-objects-block';
import { createDetectTextHandler } from './blocks/detect-text-block';
import type { ImageInputOptions } from './blocks/image-inputs';
import { createRecognizeTextHandler } from './blocks/recognize-text-block';
import type { Device, ResolvedDevice } from './device';
import { DynamicBatcher, type BatcherStats, type BatchingOptions } from './dynamic-batcher';
import {
  batchingFor,
  compileModelBlockOptions,
  expectedDevice,
  type CompiledModelBlockOptions,
  type ModelBlockOptions,
} from './model-block-options';
import { ModelCache, type ModelMetrics } from './model-cache';
import { MODEL_IDS, ModelId } from './model-id';
import { modelDefinitions, type ModelRegistry } from './model-registry';
import type { NanodetOutputs } from './objects/nanodet';
import { runDetectionBatch, type DetectionInput } from './ocr/text-detector';
import { runDirectionBatch, type DirectionProbabilities } from './ocr/text-direction';
import { runRecognitionBatch, type RecognitionInput } from './ocr/text-recognizer';
import { OnnxRuntime } from './runtime/onnx-runtime';

export interface ModelRuntimeMetrics extends ModelMetrics {
  /** The device the model runs on; null until it has loaded once. */
  device: ResolvedDevice | null;
  /** The batching in force. */
  batching: BatchingOptions;
  batches: BatcherStats;
}

export interface ModelBlockMetrics {
  /** The device asked for (SWITCHYARD_DEVICE); each model's `device` says where it landed. */
  device: Device;
  residentModels: number;
  residentBytes: number;
  models: Record<ModelId, ModelRuntimeMetrics>;
}

export interface ModelBlockHandlers {
  /** The GPU blocks' handlers by block type: detect.text, classify.text_direction, recognize.text, detect.objects. */
  readonly handlers: ReadonlyMap<string, BlockHandler>;
  readonly options: CompiledModelBlockOptions;
  /** Loads `ids` (by default the configured warm models) so the first requests do not pay the cold load. */
  preload(ids?: readonly ModelId[]): Promise<void>;
  metrics(): ModelBlockMetrics;
  /** Rejects queued work and unloads every model (those in use once their inference ends). */
  dispose(): Promise<void>;
}

interface Batchers {
  [ModelId.TextDetector]: DynamicBatcher<DetectionInput, Float32Array>;
  [ModelId.TextDirection]: DynamicBatcher<Float32Array, DirectionProbabilities>;
  [ModelId.TextRecognizer]: DynamicBatcher<RecognitionInput, RecognizedText>;
  [ModelId.ObjectDetector]: DynamicBatcher<Float32Array, NanodetOutputs>;
}

/**
 * The model-backed blocks, sharing one model cache and one dynamic batcher per model. Requests from
 * concurrent jobs for the same model meet in its batcher; every batch leases its model from the cache,
 * which loads it on first use (once, however many requests wait) and may evict it when idle.
 */
export function createModelBlockHandlers(options: ModelBlockOptions = {}): ModelBlockHandlers {
  const compiled = compileModelBlockOptions(options);
  const logger = compiled.logger;
  const devices: Partial<Record<ModelId, ResolvedDevice>> = {};
  const runtime = new OnnxRuntime(compiled.device, compiled.onnxThreads, logger);
  const cache = new ModelCache<ModelRegistry>(
    modelDefinitions(runtime, compiled.files, (id, device) => {
      devices[id] = device;
    }),
    compiled.cache,
    logger,
  );

  const batchingOf = (id: ModelId) => (): BatchingOptions =>
    batchingFor(compiled, id, devices[id] ?? expectedDevice(compiled.device));
  /** Each batch holds a lease on its model for exactly the inference. */
  const withModel =
    <K extends ModelId, I, R>(id: K, run: (model: ModelRegistry[K], items: readonly I[]) => Promise<R[]>) =>
    async (items: readonly I[]): Promise<R[]> => {
      const lease = await cache.acquire(id);
      try {
        return await run(lease.model, items);
      } finally {
        lease.release();
      }
    };

  const batchers: Batchers = {
    [ModelId.TextDetector]: new DynamicBatcher(
      withModel(ModelId.TextDetector, runDetectionBatch),
      batchingOf(ModelId.TextDetector),
    ),
    [ModelId.TextDirection]: new DynamicBatcher(
      withModel(ModelId.TextDirection, runDirectionBatch),
      batchingOf(ModelId.TextDirection),
    ),
    [ModelId.TextRecognizer]: new DynamicBatcher(
      withModel(ModelId.TextRecognizer, runRecognitionBatch),
      batchingOf(ModelId.TextRecognizer),
    ),
    [ModelId.ObjectDetector]: new DynamicBatcher(
      withModel(ModelId.ObjectDetector, (model, items: readonly Float32Array[]) =>
        Promise.all(items.map((item) => model.run(item))),
      ),
      batchingOf(ModelId.ObjectDetector),
    ),
  };

  const inputs: ImageInputOptions = { image: compiled.image, maxImagesPerRequest: compiled.maxImagesPerRequest };
  const handlers = new Map<string, BlockHandler>([
    [BlockType.DetectText, erase(createDetectTextHandler(batchers[ModelId.TextDetector], inputs))],
    [BlockType.ClassifyTextDirection, erase(createClassifyTextDirectionHandler(batchers[ModelId.TextDirection], inputs))],
    [BlockType.RecognizeText, erase(createRecognizeTextHandler(batchers[ModelId.TextRecognizer], inputs))],
    [BlockType.DetectObjects, erase(createDetectObjectsHandler(batchers[ModelId.ObjectDetector], inputs))],
  ]);

  return {
    handlers,
    options: compiled,
    preload: (ids = compiled.warmModels) => cache.preload(ids),
    metrics: () => {
      const cacheMetrics = cache.metrics();
      const models = {} as Record<ModelId, ModelRuntimeMetrics>;
      for (const id of MODEL_IDS) {
        models[id] = {
          ...cacheMetrics.models[id],
          device: devices[id] ?? null,
          batching: batchers[id].options,
          batches: batchers[id].stats(),
        };
      }
      return {
        device: compiled.device,
        residentModels: cacheMetrics.residentModels,
        residentBytes: cacheMetrics.residentBytes,
        models,
      };
    },
    dispose: async () => {
      for (const id of MODEL_IDS) batchers[id].close(new Error('the model blocks are shutting down'));
      await cache.dispose();
    },
  };
}

/**
 * Handlers are stored by block type, next to blocks with other configs; the executor passes each the config
 * its own block's schema parsed, so the config type is safe to erase here.
 */
function erase<Config>(handler: BlockHandler<Config>): BlockHandler {
  return handler as BlockHandler;
}
