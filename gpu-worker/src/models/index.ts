/**
 * The gpu-worker's model blocks: detect.text, classify.text_direction, recognize.text (PaddleOCR on
 * onnxruntime-node) and detect.objects (NanoDet on TensorFlow.js wasm), with a model cache and dynamic
 * batching. Entry point: `createModelBlockHandlers(options)`.
 */
export {
  createModelBlockHandlers,
  type ModelBlockHandlers,
  type ModelBlockMetrics,
  type ModelRuntimeMetrics,
} from './create-model-block-handlers';
export {
  compileModelBlockOptions,
  batchingFor,
  DEFAULT_BATCHING,
  DEFAULT_CACHE_LIMITS,
  DEFAULT_MAX_IMAGES_PER_REQUEST,
  type CompiledModelBlockOptions,
  type ModelBlockOptions,
} from './model-block-options';
export { Device, DEVICE_ENV, ResolvedDevice, parseDevice } from './device';
export { ModelId, MODEL_IDS, WARM_MODELS_ENV, parseModelIds } from './model-id';
export { defaultModelFiles, type ModelFiles } from './model-files';
export { DynamicBatcher, type BatchingOptions, type BatcherStats, type RunBatch } from './dynamic-batcher';
export { ModelCache, type ModelCacheLimits, type ModelCacheMetrics, type ModelMetrics, type ModelLease } from './model-cache';
