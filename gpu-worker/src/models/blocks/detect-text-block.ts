import type { BlockHandler } from '../../../../src/blocks/block-handler';
import type { DetectTextConfig } from '../../../../src/core/blocks';
import type { Box } from '../../../../src/core/values';
import type { DynamicBatcher } from '../dynamic-batcher';
import { boxesFromProbabilityMap, detectionBatchKey, prepareDetectionInput, type DetectionInput } from '../ocr/text-detector';
import { loadImageInput, type ImageInputOptions } from './image-inputs';

export interface DetectTextOutputs {
  boxes: Box[];
}

/** `detect.text`: one box per text line, in the image's pixels, in reading order. */
export function createDetectTextHandler(
  detector: DynamicBatcher<DetectionInput, Float32Array>,
  options: ImageInputOptions,
): BlockHandler<DetectTextConfig> {
  return async (inputs, config, ctx): Promise<DetectTextOutputs & Record<string, unknown>> => {
    const image = await loadImageInput(inputs.image, options, ctx);
    const input = prepareDetectionInput(image, config.maxSideLen);
    const map = await detector.submit(input, detectionBatchKey(input), ctx.signal);
    ctx.signal.throwIfAborted();
    return { boxes: boxesFromProbabilityMap(map, input, image, config) };
  };
}
