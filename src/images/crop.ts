import { NodeErrorCode, NonRetryableNodeError } from '../core/errors';
import type { Box } from '../core/values';
import { RGB_CHANNELS, type RawImage } from './raw-image';

/** An axis-aligned rectangle in whole pixels, inside its image. */
export interface CropRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Quads tilted less than this are cropped as their bounding rectangle: resampling a near-level line
 * would only blur it.
 */
const MIN_ROTATION_RADIANS = (1.5 * Math.PI) / 180;

/**
 * The pixels a box covers, grown by `padding` on every side and clamped to the image. Rounds outward
 * (floor/ceil) so a fractional box never loses its edge pixels. Throws INVALID_INPUT for a box that is not
 * finite or lies wholly outside the image: the output list must stay aligned with the boxes, so skipping
 * it silently would shift every later crop.
 */
export function cropRectForBox(box: Box, imageWidth: number, imageHeight: number, padding: number, what = 'box'): CropRect {
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isFinite) || width < 0 || height < 0) {
    throw invalid(`${what} must have finite x, y and non-negative width, height`);
  }
  const left = Math.max(0, Math.floor(x - padding));
  const top = Math.max(0, Math.floor(y - padding));
  const right = Math.min(imageWidth, Math.ceil(x + width + padding));
  const bottom = Math.min(imageHeight, Math.ceil(y + height + padding));
  if (right <= left || bottom <= top) {
    throw invalid(`${what} (${x},${y} ${width}x${height}) lies outside the ${imageWidth}x${imageHeight} image`);
  }
  return { left, top, width: right - left, height: bottom - top };
}

/** Copies a rectangle out of an image, row by row. */
export function cropRect(image: RawImage, rect: CropRect): RawImage {
  const rowBytes = rect.width * RGB_CHANNELS;
  const data = Buffer.allocUnsafe(rowBytes * rect.height);
  for (let row = 0; row < rect.height; row++) {
    const from = ((rect.top + row) * image.width + rect.left) * RGB_CHANNELS;
    image.data.copy(data, row * rowBytes, from, from + rowBytes);
  }
  return { data, width: rect.width, height: rect.height, channels: RGB_CHANNELS };
}

/**
 * Crops a box; a tilted quadrilateral (`box.points`, clockwise from its top-left corner, as the text
 * detector reports it) is resampled upright, so a slanted line of text comes out level for recognition.
 */
export function cropBox(image: RawImage, box: Box, padding: number, what = 'box'): RawImage {
  const quad = box.points;
  if (quad && quad.length === 4 && tiltOf(quad) >= MIN_ROTATION_RADIANS) {
    cropRectForBox(box, image.width, image.height, padding, what); // same validation as the axis-aligned path
    return cropQuad(image, quad as [Point, Point, Point, Point], padding);
  }
  return cropRect(image, cropRectForBox(box, image.width, image.height, padding, what));
}

type Point = [number, number];

function tiltOf(quad: ReadonlyArray<Point>): number {
  const [p0, p1] = quad as [Point, Point];
  const angle = Math.abs(Math.atan2(p1[1] - p0[1], p1[0] - p0[0]));
  return Math.min(angle, Math.PI - angle);
}

/**
 * Samples the parallelogram spanned by the quad's top edge and left edge (a detector's rotated rectangle)
 * into an upright image, bilinearly, with `padding` added along both of its axes. Samples outside the
 * image take the nearest edge pixel.
 */
function cropQuad(image: RawImage, quad: [Point, Point, Point, Point], padding: number): RawImage {
  const [p0, p1, p2, p3] = quad;
  const topLen = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
  const leftLen = Math.hypot(p3[0] - p0[0], p3[1] - p0[1]);
  const width = Math.max(1, Math.round(Math.max(topLen, Math.hypot(p2[0] - p3[0], p2[1] - p3[1])) + 2 * padding));
  const height = Math.max(1, Math.round(Math.max(leftLen, Math.hypot(p2[0] - p1[0], p2[1] - p1[1])) + 2 * padding));
  // Unit vectors along the box's own x and y axes.
  const ux: Point = topLen > 0 ? [(p1[0] - p0[0]) / topLen, (p1[1] - p0[1]) / topLen] : [1, 0];
  const uy: Point = leftLen > 0 ? [(p3[0] - p0[0]) / leftLen, (p3[1] - p0[1]) / leftLen] : [0, 1];
  const originX = p0[0] - padding * (ux[0] + uy[0]);
  const originY = p0[1] - padding * (ux[1] + uy[1]);
  const out = Buffer.allocUnsafe(width * height * RGB_CHANNELS);
  const src = image.data;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      // +0.5: sample at pixel centres.
      const sx = Math.min(maxX, Math.max(0, originX + (u + 0.5) * ux[0] + (v + 0.5) * uy[0] - 0.5));
      const sy = Math.min(maxY, Math.max(0, originY + (u + 0.5) * ux[1] + (v + 0.5) * uy[1] - 0.5));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(maxX, x0 + 1);
      const y1 = Math.min(maxY, y0 + 1);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (v * width + u) * RGB_CHANNELS;
      for (let c = 0; c < RGB_CHANNELS; c++) {
        const a = src[(y0 * image.width + x0) * RGB_CHANNELS + c] ?? 0;
        const b = src[(y0 * image.width + x1) * RGB_CHANNELS + c] ?? 0;
        const d = src[(y1 * image.width + x0) * RGB_CHANNELS + c] ?? 0;
        const e = src[(y1 * image.width + x1) * RGB_CHANNELS + c] ?? 0;
        out[o + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy);
      }
    }
  }
  return { data: out, width, height, channels: RGB_CHANNELS };
}

function invalid(message: string): NonRetryableNodeError {
  return new NonRetryableNodeError(NodeErrorCode.InvalidInput, message);
}
