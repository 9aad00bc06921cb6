import type { TextDirection } from '../../../../src/core/values';
import type { RawImage } from '../../../../src/images';
import { runOnnx, stack, type OnnxModel } from '../runtime/onnx-model';
import { LINE_HEIGHT, lineTensor } from './line-input';

/** The classifier's fixed input width (PaddleOCR cls_image_shape 3,48,192). */
const DIRECTION_INPUT_WIDTH = 192;
/** Its two classes, in output order. */
const DIRECTION_CLASSES = 2;

/** Probabilities of [upright, upside down]. */
export type DirectionProbabilities = readonly [number, number];

export function prepareDirectionInput(image: RawImage): Float32Array {
  return lineTensor(image, DIRECTION_INPUT_WIDTH);
}

export async function runDirectionBatch(model: OnnxModel, items: readonly Float32Array[]): Promise<DirectionProbabilities[]> {
  const output = await runOnnx(model, stack(items), [items.length, 3, LINE_HEIGHT, DIRECTION_INPUT_WIDTH]);
  if (output.data.length !== items.length * DIRECTION_CLASSES) {
    throw new Error(`direction classifier returned ${output.dims.join('x')} for ${items.length} items`);
  }
  return items.map((_, i) => [output.data[2 * i] as number, output.data[2 * i + 1] as number] as const);
}

/** 180 only when the classifier says so with at least `minScore`; otherwise 0 with the upright probability. */
export function toTextDirection([upright, upsideDown]: DirectionProbabilities, minScore: number): TextDirection {
  if (upsideDown > upright && upsideDown >= minScore) return { angle: 180, score: round4(upsideDown) };
  return { angle: 0, score: round4(upright) };
}

function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
