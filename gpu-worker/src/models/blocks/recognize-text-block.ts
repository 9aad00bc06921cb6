import type { BlockHandler } from '../../../../src/blocks/block-handler';
import type { RecognizeTextConfig } from '../../../../src/core/blocks';
import type { RecognizedText } from '../../../../src/core/values';
import type { DynamicBatcher } from '../dynamic-batcher';
import { prepareRecognitionInput, recognitionBatchKey, type RecognitionInput } from '../ocr/text-recognizer';
import { mapImageInputs, type ImageInputOptions } from './image-inputs';

export interface RecognizeTextOutputs {
  texts: RecognizedText[];
}

/** `recognize.text`: the text of each cropped line, aligned with the input list. */
export function createRecognizeTextHandler(
  recognizer: DynamicBatcher<RecognitionInput, RecognizedText>,
  options: ImageInputOptions,
): BlockHandler<RecognizeTextConfig> {
  return async (inputs, _config, ctx): Promise<RecognizeTextOutputs & Record<string, unknown>> => {
    const inFlight = Math.max(options.image.concurrency, recognizer.options.maxBatchSize);
    const texts = await mapImageInputs(inputs.images, options, ctx, inFlight, async (image) => {
      const input = prepareRecognitionInput(image);
      return recognizer.submit(input, recognitionBatchKey(input), ctx.signal);
    });
    return { texts };
  };
}
