import type { Box } from '../../../../src/core/values';
import type { RawImage } from '../../../../src/images';
import { runOnnx, stack, type OnnxModel } from '../runtime/onnx-model';
import { writeResizedChw, type ChannelNormalisation } from '../tensor-input';
import { dbPostprocess, type DbParams } from './db-postprocess';
import type { Point } from './quad-geometry';
import { sortReadingOrder } from './reading-order';

/** The detector's feature pyramid downsamples 32x: both input sides must be multiples of it. */
const SIZE_MULTIPLE = 32;

/** PaddleOCR's det preprocessing: ImageNet mean/std applied to the BGR image, in that channel order. */
const DETECTION_NORMALISATION: ChannelNormalisation = {
  channelOrder: [2, 1, 0],
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** One image ready for the detector; images batch together only when their input sizes match. */
export interface DetectionInput {
  tensor: Float32Array;
  width: number;
  height: number;
}

/**
 * The detector's input size: scaled down (never up) so the longer side is at most `maxSideLen`, then each
 * side rounded to a multiple of 32, as PaddleOCR's DetResizeForTest ('max' limit) does, but never past
 * the limit's own multiple of 32.
 */
export function detectionInputSize(width: number, height: number, maxSideLen: number): { width: number; height: number } {
  const ratio = Math.max(width, height) > maxSideLen ? maxSideLen / Math.max(width, height) : 1;
  const limit = Math.max(SIZE_MULTIPLE, Math.floor(maxSideLen / SIZE_MULTIPLE) * SIZE_MULTIPLE);
  const side = (length: number): number =>
    Math.min(limit, Math.max(SIZE_MULTIPLE, Math.round((length * ratio) / SIZE_MULTIPLE) * SIZE_MULTIPLE));
  return { width: side(width), height: side(height) };
}

export function prepareDetectionInput(image: RawImage, maxSideLen: number): DetectionInput {
  const size = detectionInputSize(image.width, image.height, maxSideLen);
  const tensor = new Float32Array(3 * size.width * size.height);
  writeResizedChw(image, size.width, size.height, DETECTION_NORMALISATION, tensor);
  return { tensor, ...size };
}

/** The batching key: inputs of one batch must share their size. */
export function detectionBatchKey(input: DetectionInput): string {
  return `${input.width}x${input.height}`;
}

/** Runs the detector; returns each item's probability map (same size as its input). */
export async function runDetectionBatch(model: OnnxModel, items: readonly DetectionInput[]): Promise<Float32Array[]> {
  const first = items[0];
  if (!first) return [];
  const output = await runOnnx(model, stack(items.map((item) => item.tensor)), [items.length, 3, first.height, first.width]);
  const plane = first.width * first.height;
  if (output.data.length !== plane * items.length) {
    throw new Error(`detector output ${output.dims.join('x')} does not match its input ${first.width}x${first.height}`);
  }
  return items.map((_, i) => output.data.subarray(i * plane, (i + 1) * plane));
}

/**
 * Probability map -> boxes in the original image's pixels, in reading order. Each box carries its score
 * and its rotated quadrilateral (clockwise from top-left), clamped to the image.
 */
export function boxesFromProbabilityMap(
  map: Float32Array,
  input: Pick<DetectionInput, 'width' | 'height'>,
  image: Pick<RawImage, 'width' | 'height'>,
  params: DbParams,
): Box[] {
  const scaleX = image.width / input.width;
  const scaleY = image.height / input.height;
  const boxes: Box[] = [];
  for (const region of dbPostprocess(map, input.width, input.height, params)) {
    const points = region.quad.map(([x, y]): Point => [
      clamp(Math.round(x * scaleX), 0, image.width - 1),
      clamp(Math.round(y * scaleY), 0, image.height - 1),
    ]);
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const x = Math.min(...xs);
    const y = Math.min(...ys);
    const width = Math.max(...xs) - x;
    const height = Math.max(...ys) - y;
    // PaddleOCR drops regions this thin once mapped back to the image (filter_tag_det_res).
    if (width <= MIN_BOX_SIDE_PX || height <= MIN_BOX_SIDE_PX) continue;
    boxes.push({ x, y, width, height, score: round4(region.score), points });
  }
  return sortReadingOrder(boxes);
}

const MIN_BOX_SIDE_PX = 3;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
