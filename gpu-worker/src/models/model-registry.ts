import { ResolvedDevice } from './device';
import type { ModelDefinitions } from './model-cache';
import type { ModelFiles } from './model-files';
import { ModelId } from './model-id';
import { loadRecognitionDictionary } from './ocr/recognition-dictionary';
import type { TextRecognizerModel } from './ocr/text-recognizer';
import { loadOnnxModel, unloadOnnxModel, type OnnxModel } from './runtime/onnx-model';
import type { OnnxRuntime } from './runtime/onnx-runtime';
import { NanodetThread } from './objects/nanodet-thread';

/** What each model id loads into. */
export interface ModelRegistry {
  [ModelId.TextDetector]: OnnxModel;
  [ModelId.TextDirection]: OnnxModel;
  [ModelId.TextRecognizer]: TextRecognizerModel;
  /** NanoDet, on a worker thread of its own (TensorFlow.js wasm computes synchronously). */
  [ModelId.ObjectDetector]: NanodetThread;
}

/** How to load and unload each model; `onLoaded` learns the device each one landed on. */
export function modelDefinitions(
  runtime: OnnxRuntime,
  files: Readonly<ModelFiles>,
  onLoaded: (id: ModelId, device: ResolvedDevice) => void,
): ModelDefinitions<ModelRegistry> {
  const onnx = (id: ModelId, file: string) => ({
    load: async () => {
      const loaded = await loadOnnxModel(runtime, file);
      onLoaded(id, loaded.model.device);
      return loaded;
    },
    unload: unloadOnnxModel,
  });
  return {
    [ModelId.TextDetector]: onnx(ModelId.TextDetector, files.textDetector),
    [ModelId.TextDirection]: onnx(ModelId.TextDirection, files.textDirection),
    [ModelId.TextRecognizer]: {
      load: async () => {
        const [loaded, dictionary] = await Promise.all([
          loadOnnxModel(runtime, files.textRecognizer),
          loadRecognitionDictionary(files.textDictionary),
        ]);
        onLoaded(ModelId.TextRecognizer, loaded.model.device);
        return { model: { onnx: loaded.model, dictionary }, bytes: loaded.bytes };
      },
      unload: (model) => unloadOnnxModel(model.onnx),
    },
    [ModelId.ObjectDetector]: {
      load: async () => {
        const model = await NanodetThread.start(files.objectDetector);
        onLoaded(ModelId.ObjectDetector, ResolvedDevice.Cpu);
        return { model, bytes: model.bytes };
      },
      unload: (model) => model.dispose(),
    },
  };
}
