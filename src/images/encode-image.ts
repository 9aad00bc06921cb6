import sharp from 'sharp';
import { ImageFormat, mimeTypeOf } from './image-format';
import { rawInputOf, type RawImage } from './raw-image';

/** What a block outputs for an image it made: always a data: URI, so a consumer knows the format. */
export interface EncodedImageValue {
  base64: string;
}

/**
 * Speed-leaning settings: blocks emit many intermediate images (crops) that are decoded again at once,
 * so zlib effort and JPEG size matter less than latency.
 */
const PNG_COMPRESSION_LEVEL = 3;
const JPEG_QUALITY = 90;
const WEBP_QUALITY = 90;

/** Encodes a sharp pipeline's output as `{ base64: 'data:image/<format>;base64,...' }`. */
export async function encodePipeline(pipeline: sharp.Sharp, format: ImageFormat): Promise<EncodedImageValue> {
  const encoded = await withFormat(pipeline, format).toBuffer();
  return { base64: toDataUri(encoded, format) };
}

export async function encodeImage(image: RawImage, format: ImageFormat = ImageFormat.Png): Promise<EncodedImageValue> {
  return encodePipeline(sharp(image.data, rawInputOf(image)), format);
}

export function toDataUri(bytes: Buffer, format: ImageFormat): string {
  return `data:${mimeTypeOf(format)};base64,${bytes.toString('base64')}`;
}

function withFormat(pipeline: sharp.Sharp, format: ImageFormat): sharp.Sharp {
  switch (format) {
    case ImageFormat.Png:
      return pipeline.png({ compressionLevel: PNG_COMPRESSION_LEVEL });
    case ImageFormat.Jpeg:
      return pipeline.jpeg({ quality: JPEG_QUALITY });
    case ImageFormat.Webp:
      return pipeline.webp({ quality: WEBP_QUALITY });
  }
}
