import sharp from 'sharp';
import { NodeErrorCode, NonRetryableNodeError } from '../core/errors';
import { IMAGE_FORMATS, asImageFormat } from './image-format';
import type { CompiledImageLoadOptions } from './image-load-options';
import { RGB_CHANNELS, type RawImage } from './raw-image';

/** Transparent pixels become white: text and objects on a transparent PNG stay visible to the models. */
const FLATTEN_BACKGROUND = '#ffffff';

/**
 * Decodes JPEG/PNG/WebP bytes into RGB pixels, upright (EXIF orientation applied, so every block sees the
 * image as a viewer shows it and boxes agree between blocks). Rejects other formats and oversized images
 * from the header alone, before any pixel is decoded.
 */
export async function decodeImage(bytes: Buffer, options: CompiledImageLoadOptions): Promise<RawImage> {
  let metadata: sharp.Metadata;
  try {
    // Reads the header only; the pixel limit is ours to check below, with a clearer message than sharp's.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw invalid(`image could not be read (not a JPEG, PNG or WebP?): ${messageOf(err)}`, err);
  }
  const format = asImageFormat(metadata.format);
  if (!format) {
    throw invalid(`image format ${metadata.format ?? 'unknown'} is not supported; use one of ${IMAGE_FORMATS.join(', ')}`);
  }
  const { width, height } = metadata;
  if (!width || !height) throw invalid('image has no dimensions');
  if (width > options.maxSidePx || height > options.maxSidePx || width * height > options.maxPixels) {
    throw invalid(
      `image is too large: ${width}x${height}; the limit is ${options.maxSidePx} px per side and ${options.maxPixels} pixels`,
    );
  }
  try {
    // The same bound again inside libvips, as a backstop to the check above.
    const { data, info } = await sharp(bytes, { limitInputPixels: options.maxPixels, autoOrient: true })
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== RGB_CHANNELS) throw new Error(`decoder produced ${info.channels} channels`);
    return { data, width: info.width, height: info.height, channels: RGB_CHANNELS };
  } catch (err) {
    // The header was valid but the pixel data is not (truncated file, corrupt stream).
    throw invalid(`image data is corrupt: ${messageOf(err)}`, err);
  }
}

function invalid(message: string, cause?: unknown): NonRetryableNodeError {
  return new NonRetryableNodeError(NodeErrorCode.InvalidInput, message, cause);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
