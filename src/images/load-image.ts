import type { ImageValue } from '../core/values';
import { decodeImage } from './decode-image';
import type { CompiledImageLoadOptions } from './image-load-options';
import type { RawImage } from './raw-image';
import { readImageBytes } from './read-image-bytes';

/**
 * An image value's pixels. Throws NonRetryableNodeError(INVALID_INPUT) for anything a retry cannot fix
 * (bad base64, unsupported format, too large, HTTP 4xx) and RetryableNodeError for transient fetch faults.
 */
export async function loadImage(value: ImageValue, options: CompiledImageLoadOptions, signal: AbortSignal): Promise<RawImage> {
  const bytes = await readImageBytes(value, options, signal);
  signal.throwIfAborted();
  return decodeImage(bytes, options);
}
