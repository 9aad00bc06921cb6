import type { BlockHandler } from '../../../src/blocks/block-handler';
import type { ImageCropConfig } from '../../../src/core/blocks';
import {
  cropBox,
  encodeImage,
  imageFormatNamed,
  loadImage,
  parseImageValue,
  type CompiledImageLoadOptions,
  type EncodedImageValue,
} from '../../../src/images';
import { parseBoxes } from './parse-values';

export interface ImageCropOutputs {
  images: EncodedImageValue[];
}

/**
 * `image.crop`: one image per box, in the boxes' order, each grown by `padding` and clamped to the image.
 * Tilted text boxes (with `points`) come out levelled. A box wholly outside the image is INVALID_INPUT:
 * dropping it would misalign every later crop with its box.
 */
export function createImageCropHandler(imageOptions: CompiledImageLoadOptions): BlockHandler<ImageCropConfig> {
  return async (inputs, config, ctx): Promise<ImageCropOutputs & Record<string, unknown>> => {
    const boxes = parseBoxes(inputs.boxes, 'inputs.boxes');
    const image = await loadImage(parseImageValue(inputs.image, 'inputs.image'), imageOptions, ctx.signal);
    const images: EncodedImageValue[] = [];
    for (const [i, box] of boxes.entries()) {
      ctx.signal.throwIfAborted();
      images.push(await encodeImage(cropBox(image, box, config.padding, `inputs.boxes[${i}]`), imageFormatNamed(config.format)));
      ctx.reportProgress((i + 1) / boxes.length);
    }
    return { images };
  };
}
