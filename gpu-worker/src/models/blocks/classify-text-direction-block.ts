import type { BlockHandler } from '../../../../src/blocks/block-handler';
import type { ClassifyTextDirectionConfig } from '../../../../src/core/blocks';
import type { TextDirection } from '../../../../src/core/values';
import type { DynamicBatcher } from '../dynamic-batcher';
import { prepareDirectionInput, toTextDirection, type DirectionProbabilities } from '../ocr/text-direction';
import { mapImageInputs, type ImageInputOptions } from './image-inputs';

export interface ClassifyTextDirectionOutputs {
  directions: TextDirection[];
}

/** `classify.text_direction`: for each cropped line, 0 (upright) or 180 (upside down), aligned with the input list. */
export function createClassifyTextDirectionHandler(
  classifier: DynamicBatcher<Float32Array, DirectionProbabilities>,
  options: ImageInputOptions,
): BlockHandler<ClassifyTextDirectionConfig> {
  return async (inputs, config, ctx): Promise<ClassifyTextDirectionOutputs & Record<string, unknown>> => {
    const inFlight = Math.max(options.image.concurrency, classifier.options.maxBatchSize);
    const directions = await mapImageInputs(inputs.images, options, ctx, inFlight, async (image) => {
      const probabilities = await classifier.submit(prepareDirectionInput(image), '', ctx.signal);
      return toTextDirection(probabilities, config.minScore);
    });
    return { directions };
  };
}
