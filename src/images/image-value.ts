import { NodeErrorCode, NonRetryableNodeError } from '../core/errors';
import type { ImageValue } from '../core/values';

/**
 * Checks the shape of an image that arrived as a port value. Inputs cross process boundaries as JSON, so
 * the handler cannot trust the static type; `what` names the value in the error (e.g. `inputs.images[3]`).
 */
export function parseImageValue(value: unknown, what: string): ImageValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${what} must be an image ({ url } or { base64 }), got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  const hasUrl = 'url' in record;
  const hasBase64 = 'base64' in record;
  if (hasUrl === hasBase64) {
    throw invalid(`${what} must have exactly one of "url" and "base64"`);
  }
  if (hasUrl) {
    if (typeof record.url !== 'string' || record.url.length === 0) throw invalid(`${what}.url must be a non-empty string`);
    return { url: record.url };
  }
  if (typeof record.base64 !== 'string' || record.base64.length === 0) {
    throw invalid(`${what}.base64 must be a non-empty string`);
  }
  return { base64: record.base64 };
}

/** A list of images, as the `images` port carries; `maxCount` bounds the work one request can ask for. */
export function parseImageList(value: unknown, what: string, maxCount: number): ImageValue[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be a list of images, got ${describe(value)}`);
  if (value.length > maxCount) throw invalid(`${what} holds ${value.length} images; at most ${maxCount} are accepted`);
  return value.map((item, i) => parseImageValue(item, `${what}[${i}]`));
}

function invalid(message: string): NonRetryableNodeError {
  return new NonRetryableNodeError(NodeErrorCode.InvalidInput, message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}
