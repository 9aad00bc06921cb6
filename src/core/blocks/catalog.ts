import { z } from 'zod';
import { PortKind } from '../values';
import { BlockRuntime, type BlockSpec, type PortSpec } from './block-spec';

/** Block type names: the contract's, as an enum so no code spells them twice. */
export enum BlockType {
  DetectObjects = 'detect.objects',
  DetectText = 'detect.text',
  ClassifyTextDirection = 'classify.text_direction',
  RecognizeText = 'recognize.text',
  ImageCrop = 'image.crop',
  ImageAnnotate = 'image.annotate',
  DetectionsFilter = 'detections.filter',
  DebugSleep = 'debug.sleep',
}

const port = (name: string, kind: PortKind, required = true, description?: string): PortSpec =>
  description === undefined ? { name, kind, required } : { name, kind, required, description };

const score = z.number().min(0).max(1);
/** Upper bound on `debug.sleep`'s `ms`: long enough for timeout tests, short enough that a typo cannot park a slot for days. */
export const DEBUG_SLEEP_MAX_MS = 600_000;

export const detectObjectsConfig = z.strictObject({
  minScore: score.default(0.3).describe('Detections below this score are dropped.'),
  maxDetections: z.number().int().min(1).max(1000).default(100),
  iouThreshold: score.default(0.5).describe('Non-maximum suppression overlap threshold.'),
});
export const detectTextConfig = z.strictObject({
  boxScore: score.default(0.6).describe('Minimum mean probability inside a text region.'),
  binaryThreshold: score.default(0.3).describe('Pixel threshold applied to the probability map.'),
  unclipRatio: z.number().min(1).max(4).default(1.5).describe('How far each region is grown around its core.'),
  maxSideLen: z.number().int().min(64).max(4096).default(960).describe('The longer side is resized to at most this.'),
  maxBoxes: z.number().int().min(1).max(2000).default(500),
});
export const classifyTextDirectionConfig = z.strictObject({
  minScore: score.default(0.9).describe('A 180 degree verdict below this score is reported as 0.'),
});
export const recognizeTextConfig = z.strictObject({});
export const imageCropConfig = z.strictObject({
  padding: z.number().int().min(0).max(1000).default(0).describe('Pixels added around each box.'),
  format: z.enum(['png', 'jpeg', 'webp']).default('png'),
});
export const imageAnnotateConfig = z.strictObject({
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .default('#ff3b30'),
  lineWidth: z.number().int().min(1).max(50).default(3),
  labels: z.boolean().default(true).describe("Draw each detection's label and score."),
  format: z.enum(['png', 'jpeg', 'webp']).default('png'),
});
export const detectionsFilterConfig = z.strictObject({
  labels: z.array(z.string().min(1)).max(200).optional().describe('Keep only these labels; all when omitted.'),
  minScore: score.default(0),
});
export const debugSleepConfig = z.strictObject({
  ms: z.number().min(0).max(DEBUG_SLEEP_MAX_MS).default(0),
  failTimes: z.number().int().min(0).max(1000).default(0),
});

export type DetectObjectsConfig = z.output<typeof detectObjectsConfig>;
export type DetectTextConfig = z.output<typeof detectTextConfig>;
export type ClassifyTextDirectionConfig = z.output<typeof classifyTextDirectionConfig>;
export type RecognizeTextConfig = z.output<typeof recognizeTextConfig>;
export type ImageCropConfig = z.output<typeof imageCropConfig>;
export type ImageAnnotateConfig = z.output<typeof imageAnnotateConfig>;
export type DetectionsFilterConfig = z.output<typeof detectionsFilterConfig>;
export type DebugSleepConfig = z.output<typeof debugSleepConfig>;

const specs: readonly BlockSpec[] = [
  {
    type: BlockType.DetectObjects,
    description: 'COCO object detection (80 classes): labels, scores and boxes in pixels.',
    runtime: BlockRuntime.Gpu,
    inputs: [port('image', PortKind.Image)],
    outputs: [port('detections', PortKind.Detections), port('boxes', PortKind.Boxes)],
    config: detectObjectsConfig,
  },
  {
    type: BlockType.DetectText,
    description: 'Text region detection (PaddleOCR PP-OCRv4 DB detector): one box per line of text.',
    runtime: BlockRuntime.Gpu,
    inputs: [port('image', PortKind.Image)],
    outputs: [port('boxes', PortKind.Boxes)],
    config: detectTextConfig,
  },
  {
    type: BlockType.ClassifyTextDirection,
    description: 'Classifies each cropped text line as upright (0) or upside down (180).',
    runtime: BlockRuntime.Gpu,
    inputs: [port('images', PortKind.Images)],
    outputs: [port('directions', PortKind.Directions)],
    config: classifyTextDirectionConfig,
  },
  {
    type: BlockType.RecognizeText,
    description: 'Reads the text of each cropped text line (PaddleOCR PP-OCRv4 recognizer, CTC decoding).',
    runtime: BlockRuntime.Gpu,
    inputs: [port('images', PortKind.Images)],
    outputs: [port('texts', PortKind.Texts)],
    config: recognizeTextConfig,
  },
  {
    type: BlockType.ImageCrop,
    description: 'Crops each box out of the image.',
    runtime: BlockRuntime.Cpu,
    inputs: [port('image', PortKind.Image), port('boxes', PortKind.Boxes)],
    outputs: [port('images', PortKind.Images)],
    config: imageCropConfig,
  },
  {
    type: BlockType.ImageAnnotate,
    description: 'Draws boxes (and detection labels) on the image.',
    runtime: BlockRuntime.Cpu,
    inputs: [port('image', PortKind.Image), port('detections', PortKind.Detections, false), port('boxes', PortKind.Boxes, false)],
    outputs: [port('image', PortKind.Image)],
    config: imageAnnotateConfig,
  },
  {
    type: BlockType.DetectionsFilter,
    description: 'Keeps the detections with one of the given labels and at least the given score.',
    runtime: BlockRuntime.Cpu,
    inputs: [port('detections', PortKind.Detections)],
    outputs: [port('detections', PortKind.Detections), port('boxes', PortKind.Boxes), port('count', PortKind.Number)],
    config: detectionsFilterConfig,
  },
  {
    type: BlockType.DebugSleep,
    description: 'For tests and benchmarks: waits config.ms, failing its first config.failTimes attempts with a retryable error.',
    runtime: BlockRuntime.Gpu,
    inputs: [port('after', PortKind.Any, false, 'Only orders the node after another.')],
    outputs: [port('sleptMs', PortKind.Number), port('attempt', PortKind.Number)],
    config: debugSleepConfig,
  },
];

/** The blocks every deployment offers, by type. */
export const BLOCK_CATALOG: ReadonlyMap<string, BlockSpec> = new Map(specs.map((s) => [s.type, s]));

export function getBlockSpec(type: string): BlockSpec | undefined {
  return BLOCK_CATALOG.get(type);
}
