import type { BlockHandler } from '../../../src/blocks/block-handler';
import type { DetectionsFilterConfig } from '../../../src/core/blocks';
import type { Box, Detection } from '../../../src/core/values';
import { parseDetections } from './parse-values';

export interface DetectionsFilterOutputs {
  detections: Detection[];
  boxes: Box[];
  count: number;
}

/**
 * Keeps detections whose label is one of `labels` (all labels when omitted; exact, case-sensitive match,
 * as detectors emit them) and whose score is at least `minScore`. Order is preserved.
 */
export function keepDetections(detections: readonly Detection[], config: DetectionsFilterConfig): Detection[] {
  const labels = config.labels === undefined ? undefined : new Set(config.labels);
  return detections.filter((d) => d.score >= config.minScore && (labels === undefined || labels.has(d.label)));
}

/** `detections.filter`: the kept detections, their boxes, and how many were kept. */
export const detectionsFilterHandler: BlockHandler<DetectionsFilterConfig> = async (
  inputs,
  config,
): Promise<DetectionsFilterOutputs & Record<string, unknown>> => {
  const detections = keepDetections(parseDetections(inputs.detections, 'inputs.detections'), config);
  return { detections, boxes: detections.map((d) => d.box), count: detections.length };
};
