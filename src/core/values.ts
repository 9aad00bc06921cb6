/**
 * Port kinds and the shapes of the values that travel between nodes. Every process (API, worker,
 * gpu-worker) agrees on these, so they live in the pure core.
 */
export enum PortKind {
  Image = 'image',
  Images = 'images',
  Boxes = 'boxes',
  Detections = 'detections',
  Texts = 'texts',
  Directions = 'directions',
  Number = 'number',
  String = 'string',
  Boolean = 'boolean',
  Json = 'json',
  /** Accepts, and may produce, every kind. */
  Any = 'any',
}

export const PORT_KINDS: readonly PortKind[] = Object.values(PortKind);

export function isPortKind(value: unknown): value is PortKind {
  return typeof value === 'string' && (PORT_KINDS as readonly string[]).includes(value);
}

/** `{ url }` is fetched by whoever needs the pixels; `{ base64 }` may be a bare payload or a data: URI. */
export type ImageValue = { url: string } | { base64: string };

/** Axis-aligned box in pixels of the image it was found in. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Detector confidence, when the producer has one. */
  score?: number;
  /** The quadrilateral a text detector found, clockwise from top-left, when it is not axis-aligned. */
  points?: Array<[number, number]>;
}

export interface Detection {
  label: string;
  score: number;
  box: Box;
}

export interface RecognizedText {
  text: string;
  score: number;
}

export interface TextDirection {
  /** Rotation of the text in degrees: 0 or 180. */
  angle: 0 | 180;
  score: number;
}

/** Whether a value produced as `from` may feed a port declared as `to`. */
export function kindsCompatible(from: PortKind, to: PortKind): boolean {
  return from === to || from === PortKind.Any || to === PortKind.Any;
}
