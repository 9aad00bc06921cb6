/** Limits applied to every image a block loads. Untrusted input: each bound protects memory or time. */
export interface ImageLoadOptions {
  /**
   * Largest encoded image accepted, in bytes, whether it arrives as base64 or from a URL.
   * @defaultValue 20 MiB
   */
  maxBytes?: number;
  /**
   * Largest decoded image accepted, in pixels (width x height); 25 MP holds a 6000x4000 photo.
   * Decoded RGB takes 3 bytes per pixel, so this also bounds the memory of one image (75 MB).
   * @defaultValue 25_000_000
   */
  maxPixels?: number;
  /**
   * Longest side accepted, in pixels.
   * @defaultValue 8192
   */
  maxSidePx?: number;
  /**
   * How long fetching a `{ url }` image may take, from the request to the last byte.
   * @defaultValue 10_000
   */
  fetchTimeoutMs?: number;
  /**
   * How many images of one list are fetched and decoded at once.
   * @defaultValue 8
   */
  concurrency?: number;
}

export type CompiledImageLoadOptions = Readonly<Required<ImageLoadOptions>>;

export const DEFAULT_IMAGE_LOAD_OPTIONS: CompiledImageLoadOptions = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 25_000_000,
  maxSidePx: 8192,
  fetchTimeoutMs: 10_000,
  concurrency: 8,
});

/** Applies defaults once and rejects nonsense at construction time rather than on the first image. */
export function compileImageLoadOptions(options: ImageLoadOptions = {}): CompiledImageLoadOptions {
  const compiled: Required<ImageLoadOptions> = {
    maxBytes: options.maxBytes ?? DEFAULT_IMAGE_LOAD_OPTIONS.maxBytes,
    maxPixels: options.maxPixels ?? DEFAULT_IMAGE_LOAD_OPTIONS.maxPixels,
    maxSidePx: options.maxSidePx ?? DEFAULT_IMAGE_LOAD_OPTIONS.maxSidePx,
    fetchTimeoutMs: options.fetchTimeoutMs ?? DEFAULT_IMAGE_LOAD_OPTIONS.fetchTimeoutMs,
    concurrency: options.concurrency ?? DEFAULT_IMAGE_LOAD_OPTIONS.concurrency,
  };
  for (const [name, value] of Object.entries(compiled)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`image load option ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(compiled);
}
