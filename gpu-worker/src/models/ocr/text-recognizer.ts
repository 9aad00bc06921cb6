import type { RecognizedText } from '../../../../src/core/values';
import type { RawImage } from '../../../../src/images';
import { runOnnx, stack, type OnnxModel } from '../runtime/onnx-model';
import { ctcGreedyDecode } from './ctc-decode';
import { LINE_HEIGHT, lineTensor, scaledLineWidth } from './line-input';

/**
 * Narrowest input. PaddleOCR pads every line to at least 320 px; measured here on two real screenshots
 * (190 lines), padding only to the next multiple of 32 read as well (a few lines better, none worse in
 * substance) and ran 1.75x faster, since the model's cost grows with width. 64 px leaves the CTC head
 * 8 time steps, enough for the short words and numbers that make up the narrow crops.
 */
const MIN_INPUT_WIDTH = 64;
/**
 * Widths are rounded up to a multiple of this: lines of similar length share an input width and so can
 * batch (a GPU also sees fewer distinct shapes), at under 32 px of padding. A multiple of 8 keeps the
 * model's 8x horizontal downsampling exact.
 */
const WIDTH_STEP = 32;
/** Lines wider than this at 48 px high (a 66:1 aspect ratio) are squeezed: it bounds one item's compute. */
const MAX_INPUT_WIDTH = 3200;

export interface TextRecognizerModel {
  onnx: OnnxModel;
  dictionary: readonly string[];
}

export interface RecognitionInput {
  tensor: Float32Array;
  width: number;
}

export function recognitionInputWidth(image: Pick<RawImage, 'width' | 'height'>): number {
  const scaled = scaledLineWidth(image, MAX_INPUT_WIDTH);
  return Math.min(MAX_INPUT_WIDTH, Math.max(MIN_INPUT_WIDTH, Math.ceil(scaled / WIDTH_STEP) * WIDTH_STEP));
}

export function prepareRecognitionInput(image: RawImage): RecognitionInput {
  const width = recognitionInputWidth(image);
  return { tensor: lineTensor(image, width, MAX_INPUT_WIDTH), width };
}

/** The batching key: a batch shares one input width. */
export function recognitionBatchKey(input: RecognitionInput): string {
  return String(input.width);
}

export async function runRecognitionBatch(
  model: TextRecognizerModel,
  items: readonly RecognitionInput[],
): Promise<RecognizedText[]> {
  const first = items[0];
  if (!first) return [];
  const output = await runOnnx(model.onnx, stack(items.map((item) => item.tensor)), [items.length, 3, LINE_HEIGHT, first.width]);
  const [batch, steps, classes] = output.dims;
  if (batch !== items.length || steps === undefined || classes !== model.dictionary.length) {
    throw new Error(
      `recogniser output ${output.dims.join('x')} does not fit ${items.length} items and ${model.dictionary.length} classes`,
    );
  }
  return items.map((_, i) => ctcGreedyDecode(output.data, i * steps * classes, steps, model.dictionary));
}
