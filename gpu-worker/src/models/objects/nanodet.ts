import * as tf from '@tensorflow/tfjs';
import type { Detection } from '../../../../src/core/values';
import type { RawImage } from '../../../../src/images';
import { writeResizedChw, type ChannelNormalisation } from '../tensor-input';
import { COCO_LABELS } from './coco-labels';
import { classwiseNms, type Candidate } from './nms';

/**
 * NanoDet-m (RangiLyu/nanodet, converted to a TF.js graph model by @vladmandic): a 416x416 input and, per
 * stride 8/16/32, a [1, cells, 80] tensor of class scores (sigmoid applied in the graph) and a [1, cells, 44]
 * tensor of box side distributions (Generalized Focal Loss: 4 sides x 11 bins).
 */
export const NANODET_INPUT_SIZE = 416;
const STRIDES: readonly number[] = [8, 16, 32];
/** GFL's reg_max + 1: each side's distance is a distribution over bins 0..10, in units of the stride. */
const DISTANCE_BINS = 11;
const SIDES = 4;
/** Candidates kept per image before NMS: bounds the quadratic NMS on a low threshold. */
const MAX_CANDIDATES = 1000;

/** NanoDet's training preprocessing: BGR with per-channel mean/std on the 0-255 scale. */
const NANODET_NORMALISATION: ChannelNormalisation = {
  channelOrder: [2, 1, 0],
  mean: [103.53 / 255, 116.28 / 255, 123.675 / 255],
  std: [57.375 / 255, 57.12 / 255, 58.395 / 255],
};

export interface NanodetParams {
  minScore: number;
  iouThreshold: number;
  maxDetections: number;
}

/** The raw per-stride outputs of one image. */
export interface NanodetOutputs {
  levels: Array<{ stride: number; scores: Float32Array; distances: Float32Array }>;
}

/** Stretches the image to 416x416 (no letterbox: NanoDet's own demo resizes the same way). */
export function prepareNanodetInput(image: RawImage): Float32Array {
  const tensor = new Float32Array(3 * NANODET_INPUT_SIZE * NANODET_INPUT_SIZE);
  writeResizedChw(image, NANODET_INPUT_SIZE, NANODET_INPUT_SIZE, NANODET_NORMALISATION, tensor);
  return tensor;
}

/** One image through the graph (the converted model has a fixed batch of 1). */
export async function runNanodet(model: tf.GraphModel, input: Float32Array): Promise<NanodetOutputs> {
  const tensor = tf.tensor4d(input, [1, 3, NANODET_INPUT_SIZE, NANODET_INPUT_SIZE]);
  let outputs: tf.Tensor[] = [];
  try {
    const result = model.execute(tensor);
    outputs = Array.isArray(result) ? result : [result as tf.Tensor];
    const data = await Promise.all(outputs.map((output) => output.data<'float32'>()));
    const levels = STRIDES.map((stride) => {
      const cells = (NANODET_INPUT_SIZE / stride) ** 2;
      const find = (channels: number): Float32Array => {
        const index = outputs.findIndex((output) => output.shape[1] === cells && output.shape[2] === channels);
        const found = data[index];
        if (!found) throw new Error(`NanoDet has no [1, ${cells}, ${channels}] output`);
        return found;
      };
      return { stride, scores: find(COCO_LABELS.length), distances: find(SIDES * DISTANCE_BINS) };
    });
    return { levels };
  } finally {
    tf.dispose([tensor, ...outputs]);
  }
}

/**
 * Decodes NanoDet's outputs into detections in the original image's pixels: every (cell, class) scoring at
 * least minScore becomes a box whose four sides lie at the expected value of their distributions (in
 * strides) from the cell centre, then class-wise NMS. Sorted by score, best first.
 */
export function decodeNanodet(
  outputs: NanodetOutputs,
  image: Pick<RawImage, 'width' | 'height'>,
  params: NanodetParams,
): Detection[] {
  const scaleX = image.width / NANODET_INPUT_SIZE;
  const scaleY = image.height / NANODET_INPUT_SIZE;
  const classes = COCO_LABELS.length;
  const candidates: Candidate[] = [];
  const distances = new Float64Array(SIDES);
  for (const { stride, scores, distances: bins } of outputs.levels) {
    const gridWidth = NANODET_INPUT_SIZE / stride;
    const cells = gridWidth * gridWidth;
    for (let cell = 0; cell < cells; cell++) {
      let sidesDecoded = false;
      for (let c = 0; c < classes; c++) {
        const score = scores[cell * classes + c] as number;
        if (score < params.minScore) continue;
        if (!sidesDecoded) {
          for (let side = 0; side < SIDES; side++) {
            distances[side] = expectedBin(bins, (cell * SIDES + side) * DISTANCE_BINS) * stride;
          }
          sidesDecoded = true;
        }
        const cx = ((cell % gridWidth) + 0.5) * stride;
        const cy = (Math.floor(cell / gridWidth) + 0.5) * stride;
        candidates.push({
          x1: clamp((cx - (distances[0] as number)) * scaleX, image.width),
          y1: clamp((cy - (distances[1] as number)) * scaleY, image.height),
          x2: clamp((cx + (distances[2] as number)) * scaleX, image.width),
          y2: clamp((cy + (distances[3] as number)) * scaleY, image.height),
          score,
          classIndex: c,
        });
      }
    }
  }
  const best = candidates.sort((a, b) => b.score - a.score).slice(0, MAX_CANDIDATES);
  return classwiseNms(best, params.iouThreshold, params.maxDetections).map((candidate) => {
    const x = Math.round(candidate.x1);
    const y = Math.round(candidate.y1);
    const score = Math.round(candidate.score * 1e4) / 1e4;
    return {
      label: COCO_LABELS[candidate.classIndex] ?? String(candidate.classIndex),
      score,
      box: { x, y, width: Math.round(candidate.x2) - x, height: Math.round(candidate.y2) - y, score },
    };
  });
}

/** Softmax over one side's bins, then the expected bin index. */
function expectedBin(logits: Float32Array, offset: number): number {
  let max = -Infinity;
  for (let b = 0; b < DISTANCE_BINS; b++) max = Math.max(max, logits[offset + b] as number);
  let sum = 0;
  let expectation = 0;
  for (let b = 0; b < DISTANCE_BINS; b++) {
    const weight = Math.exp((logits[offset + b] as number) - max);
    sum += weight;
    expectation += weight * b;
  }
  return expectation / sum;
}

function clamp(value: number, max: number): number {
  return Math.min(max, Math.max(0, value));
}
