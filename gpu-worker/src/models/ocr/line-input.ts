import type { RawImage } from '../../../../src/images';
import { writeResizedChw, type ChannelNormalisation } from '../tensor-input';

/** The direction classifier and the recogniser both read text lines 48 px high. */
export const LINE_HEIGHT = 48;

/** PaddleOCR's cls/rec preprocessing: BGR, `(x / 255 - 0.5) / 0.5`; zero (mid-grey) pads the right. */
const LINE_NORMALISATION: ChannelNormalisation = {
  channelOrder: [2, 1, 0],
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};

/**
 * Scales a text line to 48 px high keeping its aspect ratio (squeezed to `maxWidth` when longer) and
 * writes it left-aligned into a zeroed [3, 48, tensorWidth] tensor, PaddleOCR's resize_norm_img.
 */
export function lineTensor(image: RawImage, tensorWidth: number, maxWidth = tensorWidth): Float32Array {
  const width = scaledLineWidth(image, maxWidth);
  const tensor = new Float32Array(3 * LINE_HEIGHT * tensorWidth);
  writeResizedChw(image, width, LINE_HEIGHT, LINE_NORMALISATION, tensor, 0, tensorWidth, LINE_HEIGHT);
  return tensor;
}

/** The width a line takes at 48 px high, at least 1 and at most `maxWidth`. */
export function scaledLineWidth(image: Pick<RawImage, 'width' | 'height'>, maxWidth: number): number {
  return Math.min(maxWidth, Math.max(1, Math.ceil((LINE_HEIGHT * image.width) / image.height)));
}
