import type { BlockHandler } from '../../../src/blocks/block-handler';
import { BlockType } from '../../../src/core/blocks';
import { compileImageLoadOptions, type ImageLoadOptions } from '../../../src/images';
import { detectionsFilterHandler } from './detections-filter-block';
import { createImageAnnotateHandler } from './image-annotate-block';
import { createImageCropHandler } from './image-crop-block';

/**
 * The blocks the worker runs itself (no model, no GPU): image.crop, image.annotate, detections.filter.
 * `imageOptions` bounds the images they load (defaults: DEFAULT_IMAGE_LOAD_OPTIONS).
 */
export function createCpuBlockHandlers(imageOptions: ImageLoadOptions = {}): ReadonlyMap<string, BlockHandler> {
  const images = compileImageLoadOptions(imageOptions);
  return new Map<string, BlockHandler>([
    [BlockType.ImageCrop, erase(createImageCropHandler(images))],
    [BlockType.ImageAnnotate, erase(createImageAnnotateHandler(images))],
    [BlockType.DetectionsFilter, erase(detectionsFilterHandler)],
  ]);
}

/** The CPU blocks with default image limits. */
export const cpuBlockHandlers: ReadonlyMap<string, BlockHandler> = createCpuBlockHandlers();

/** The executor passes each handler the config its own block's schema parsed, so erasing the type is safe. */
function erase<Config>(handler: BlockHandler<Config>): BlockHandler {
  return handler as BlockHandler;
}

export { keepDetections } from './detections-filter-block';
export { annotationOverlaySvg } from './annotation-overlay';
