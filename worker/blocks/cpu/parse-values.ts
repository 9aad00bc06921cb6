import { NodeErrorCode, NonRetryableNodeError } from '../../../src/core/errors';
import type { Box, Detection } from '../../../src/core/values';

/**
 * Port values arrive as JSON from other nodes or from the run's inputs: these checks turn a malformed
 * value into INVALID_INPUT naming the offending element, instead of a TypeError deep in a block.
 */
export function parseBoxes(value: unknown, what: string): Box[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be a list of boxes`);
  return value.map((item, i) => parseBox(item, `${what}[${i}]`));
}

export function parseDetections(value: unknown, what: string): Detection[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be a list of detections`);
  return value.map((item, i) => {
    const where = `${what}[${i}]`;
    if (!isRecord(item)) throw invalid(`${where} must be a detection { label, score, box }`);
    if (typeof item.label !== 'string') throw invalid(`${where}.label must be a string`);
    if (!isFiniteNumber(item.score)) throw invalid(`${where}.score must be a number`);
    return { label: item.label, score: item.score, box: parseBox(item.box, `${where}.box`) };
  });
}

export function parseBox(value: unknown, what: string): Box {
  if (!isRecord(value)) throw invalid(`${what} must be a box { x, y, width, height }`);
  const { x, y, width, height, score, points } = value;
  if (!isFiniteNumber(x) || !isFiniteNumber(y) || !isFiniteNumber(width) || !isFiniteNumber(height)) {
    throw invalid(`${what} must have numeric x, y, width and height`);
  }
  if (width < 0 || height < 0) throw invalid(`${what} must not have a negative width or height`);
  const box: Box = { x, y, width, height };
  if (score !== undefined) {
    if (!isFiniteNumber(score)) throw invalid(`${what}.score must be a number`);
    box.score = score;
  }
  if (points !== undefined) {
    if (!Array.isArray(points) || !points.every((p) => Array.isArray(p) && p.length === 2 && p.every(isFiniteNumber))) {
      throw invalid(`${what}.points must be a list of [x, y] pairs`);
    }
    box.points = points as Array<[number, number]>;
  }
  return box;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function invalid(message: string): NonRetryableNodeError {
  return new NonRetryableNodeError(NodeErrorCode.InvalidInput, message);
}
