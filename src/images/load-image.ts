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

/**
 * Loads many images with at most `options.concurrency` in flight, keeping their order. Fails with the first
 * error and starts no further loads after it, so one unreadable crop does not cost the rest of the list.
 */
export async function loadImages(
  values: readonly ImageValue[],
  options: CompiledImageLoadOptions,
  signal: AbortSignal,
  onLoaded?: (done: number, total: number) => void,
): Promise<RawImage[]> {
  const results = new Array<RawImage>(values.length);
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < values.length) {
      const index = next++;
      try {
        results[index] = await loadImage(values[index] as ImageValue, options, signal);
      } catch (err) {
        failed = true;
        throw err;
      }
      done += 1;
      onLoaded?.(done, values.length);
    }
  };
  const workers = Array.from({ length: Math.min(options.concurrency, values.length) }, worker);
  await Promise.all(workers);
  return results;
}
