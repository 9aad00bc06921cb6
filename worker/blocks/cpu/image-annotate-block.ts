import sharp from 'sharp';
import type { BlockHandler } from '../../../src/blocks/block-handler';
import type { ImageAnnotateConfig } from '../../../src/core/blocks';
import {
  encodePipeline,
  imageFormatNamed,
  loadImage,
  parseImageValue,
  rawInputOf,
  type CompiledImageLoadOptions,
  type EncodedImageValue,
} from '../../../src/images';
import { annotationOverlaySvg } from './annotation-overlay';
import { parseBoxes, parseDetections } from './parse-values';

export interface ImageAnnotateOutputs {
  image: EncodedImageValue;
}

/**
 * `image.annotate`: the image, same size, with the given detections (outlined and captioned) and boxes
 * (outlined) drawn on it. Both inputs are optional; with neither, the image comes back re-encoded.
 */
export function createImageAnnotateHandler(imageOptions: CompiledImageLoadOptions): BlockHandler<ImageAnnotateConfig> {
  return async (inputs, config, ctx): Promise<ImageAnnotateOutputs & Record<string, unknown>> => {
    const detections = inputs.detections === undefined ? [] : parseDetections(inputs.detections, 'inputs.detections');
    const boxes = inputs.boxes === undefined ? [] : parseBoxes(inputs.boxes, 'inputs.boxes');
    const image = await loadImage(parseImageValue(inputs.image, 'inputs.image'), imageOptions, ctx.signal);
    const svg = annotationOverlaySvg(image.width, image.height, detections, boxes, config);
    const pipeline = sharp(image.data, rawInputOf(image)).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
    return { image: await encodePipeline(pipeline, imageFormatNamed(config.format)) };
  };
}
