import sharp from 'sharp';
import { rawInputOf, type RawImage } from '../../../src/images';

/** Per-channel affine normalisation `(pixel / 255 - mean) / std`, channels in the order the model reads them. */
export interface ChannelNormalisation {
  /** Which RGB channel feeds each model channel: [2, 1, 0] feeds BGR (PaddleOCR and NanoDet read OpenCV's BGR). */
  channelOrder: readonly [number, number, number];
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * Resizes to exactly width x height (aspect ratio not kept; callers choose sizes that keep it) with bilinear
 * interpolation, the interpolation the models were trained with (OpenCV's INTER_LINEAR).
 */
export async function resizeRgb(image: RawImage, width: number, height: number): Promise<Buffer> {
  if (image.width === width && image.height === height) return image.data;
  return sharp(image.data, rawInputOf(image)).resize(width, height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
}

/**
 * Writes interleaved RGB pixels into a planar CHW float tensor at `offset`, normalised. The tensor's rows
 * may be wider than the image (`tensorWidth`): the rest of each row is left as is (callers pass zeroed
 * buffers, and zero after normalisation is the padding the PaddleOCR models were trained with).
 */
export function writeChw(
  rgb: Buffer,
  width: number,
  height: number,
  norm: ChannelNormalisation,
  out: Float32Array,
  offset: number,
  tensorWidth = width,
  tensorHeight = height,
): void {
  const plane = tensorWidth * tensorHeight;
  for (let c = 0; c < 3; c++) {
    const source = norm.channelOrder[c] as number;
    const scale = 1 / (255 * (norm.std[c] as number));
    const shift = (norm.mean[c] as number) / (norm.std[c] as number);
    const base = offset + c * plane;
    for (let y = 0; y < height; y++) {
      let i = y * width * 3 + source;
      const row = base + y * tensorWidth;
      for (let x = 0; x < width; x++, i += 3) out[row + x] = (rgb[i] as number) * scale - shift;
    }
  }
}
