import type { BlockContext } from '../../../../src/blocks/block-handler';
import { loadImage, parseImageList, parseImageValue, type CompiledImageLoadOptions, type RawImage } from '../../../../src/images';
import { mapBounded } from '../map-bounded';

/** What the model blocks need besides their model: how to read images and how many one request may send. */
export interface ImageInputOptions {
  image: CompiledImageLoadOptions;
  maxImagesPerRequest: number;
}

/** The block's `image` input, validated and decoded. */
export async function loadImageInput(value: unknown, options: ImageInputOptions, ctx: BlockContext): Promise<RawImage> {
  return loadImage(parseImageValue(value, 'inputs.image'), options.image, ctx.signal);
}

/**
 * Runs `fn` over the decoded images of an `images` input, in order, with at most `inFlight` images between
 * decoding and result (bounding memory for long lists while keeping enough in flight to fill batches).
 * Reports progress as images complete.
 */
export async function mapImageInputs<R>(
  value: unknown,
  options: ImageInputOptions,
  ctx: BlockContext,
  inFlight: number,
  fn: (image: RawImage, index: number) => Promise<R>,
): Promise<R[]> {
  const values = parseImageList(value, 'inputs.images', options.maxImagesPerRequest);
  let done = 0;
  return mapBounded(values, inFlight, async (item, index) => {
    ctx.signal.throwIfAborted();
    const result = await fn(await loadImage(item, options.image, ctx.signal), index);
    done += 1;
    ctx.reportProgress(done / values.length);
    return result;
  });
}
