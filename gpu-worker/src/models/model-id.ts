/** Every model the gpu-worker can load; the cache, the batchers, WARM_MODELS and the metrics use these ids. */
export enum ModelId {
  /** PaddleOCR PP-OCRv4 DB text detector (ONNX). */
  TextDetector = 'ppocr-v4-det',
  /** PaddleOCR mobile v2.0 text direction classifier, 0 or 180 degrees (ONNX). */
  TextDirection = 'ppocr-v2-cls',
  /** PaddleOCR PP-OCRv4 CTC text recogniser with its 6623-character dictionary (ONNX). */
  TextRecognizer = 'ppocr-v4-rec',
  /** NanoDet-m COCO object detector (TensorFlow.js graph model on the wasm backend). */
  ObjectDetector = 'nanodet-coco',
}

export const MODEL_IDS: readonly ModelId[] = Object.values(ModelId);

/** The environment variable listing models to load at start, comma-separated model ids. */
export const WARM_MODELS_ENV = 'WARM_MODELS';

export function parseModelIds(value: string, source = WARM_MODELS_ENV): ModelId[] {
  const ids = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  for (const id of ids) {
    if (!(MODEL_IDS as readonly string[]).includes(id)) {
      throw new RangeError(`${source} names an unknown model "${id}"; known models: ${MODEL_IDS.join(', ')}`);
    }
  }
  return [...new Set(ids)] as ModelId[];
}
