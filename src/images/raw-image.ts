/**
 * Decoded pixels: 8-bit sRGB, interleaved RGBRGB..., row-major, no padding between rows. Every image that
 * enters a block is normalised to this one layout (alpha flattened, greyscale expanded) so the models and
 * the CPU blocks never branch on channel counts.
 */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: typeof RGB_CHANNELS;
}

export const RGB_CHANNELS = 3;

/** sharp's description of a RawImage buffer, for feeding it back into a pipeline. */
export function rawInputOf(image: RawImage): { raw: { width: number; height: number; channels: typeof RGB_CHANNELS } } {
  return { raw: { width: image.width, height: image.height, channels: image.channels } };
}
