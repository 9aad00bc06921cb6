import type { BlockHandler } from '../../../../src/blocks/block-handler';
import type { DetectObjectsConfig } from '../../../../src/core/blocks';
import type { Box, Detection } from '../../../../src/core/values';
import type { DynamicBatcher } from '../dynamic-batcher';
import { decodeNanodet, prepareNanodetInput, type NanodetOutputs } from '../objects/nanodet';
import { loadImageInput, type ImageInputOptions } from './image-inputs';

export interface DetectObjectsOutputs {
  detections: Detection[];
  /** The detections' boxes, in the same order, for blocks that take boxes. */
  boxes: Box[];
}

/** `detect.objects`: COCO objects with labels, scores and boxes in the image's pixels, best first. */
export function createDetectObjectsHandler(
  detector: DynamicBatcher<Float32Array, NanodetOutputs>,
  options: ImageInputOptions,
): BlockHandler<DetectObjectsConfig> {
  return async (inputs, config, ctx): Promise<DetectObjectsOutputs & Record<string, unknown>> => {
    const image = await loadImageInput(inputs.image, options, ctx);
    const outputs = await detector.submit(prepareNanodetInput(image), '', ctx.signal);
    ctx.signal.throwIfAborted();
    const detections = decodeNanodet(outputs, image, config);
    return { detections, boxes: detections.map((detection) => detection.box) };
  };
}
