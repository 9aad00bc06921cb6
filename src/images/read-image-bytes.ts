import { NodeErrorCode, NonRetryableNodeError, RetryableNodeError } from '../core/errors';
import type { ImageValue } from '../core/values';
import type { CompiledImageLoadOptions } from './image-load-options';

/** `data:<mime>;base64,<payload>`; the mime type is informative only, the bytes decide the format. */
const DATA_URI = /^data:([^;,]*)(;[^,]*)?,/;
/** Standard and URL-safe base64 alphabets, with padding and the line breaks some encoders insert. */
const BASE64_PAYLOAD = /^[A-Za-z0-9+/_-]+={0,2}$/;
const ALLOWED_URL_PROTOCOLS: readonly string[] = ['http:', 'https:'];
/** Statuses that say "later may work": request timeout and rate limiting, besides 5xx. */
const RETRYABLE_CLIENT_STATUSES: readonly number[] = [408, 429];

/** The encoded bytes of an image value: the base64 payload decoded, or the URL's body fetched. */
export async function readImageBytes(value: ImageValue, options: CompiledImageLoadOptions, signal: AbortSignal): Promise<Buffer> {
  return 'base64' in value ? decodeBase64(value.base64, options.maxBytes) : fetchBytes(value.url, options, signal);
}

function decodeBase64(text: string, maxBytes: number): Buffer {
  let payload = text;
  const dataUri = DATA_URI.exec(text);
  if (dataUri) {
    if (dataUri[2] !== ';base64') throw invalidInput('a data: URI image must be base64-encoded (";base64,")');
    payload = text.slice(dataUri[0].length);
  }
  payload = payload.replace(/\s+/g, '');
  // Checked before decoding: Buffer.from silently skips characters outside the alphabet, which would turn
  // garbage into a few random bytes and a confusing decoder error later.
  if (payload.length === 0 || !BASE64_PAYLOAD.test(payload)) {
    throw invalidInput('image base64 is not valid base64');
  }
  const decodedLength = Math.floor((payload.length * 3) / 4);
  if (decodedLength > maxBytes) throw tooLarge(decodedLength, maxBytes);
  return Buffer.from(payload, 'base64');
}

async function fetchBytes(url: string, options: CompiledImageLoadOptions, signal: AbortSignal): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidInput('image url is not a valid absolute URL');
  }
  if (!ALLOWED_URL_PROTOCOLS.includes(parsed.protocol)) {
    throw invalidInput(`image url must use http or https, got ${parsed.protocol}`);
  }
  signal.throwIfAborted();
  const timeout = AbortSignal.timeout(options.fetchTimeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  const shown = describeUrl(parsed);
  try {
    const response = await fetch(parsed, { signal: combined, redirect: 'follow', headers: { accept: 'image/*' } });
    if (!response.ok) {
      // Drain nothing: cancel the body so the connection is released at once.
      await response.body?.cancel().catch(() => undefined);
      const message = `fetching image ${shown} failed with HTTP ${response.status}`;
      if (response.status >= 500 || RETRYABLE_CLIENT_STATUSES.includes(response.status)) {
        throw new RetryableNodeError(NodeErrorCode.BlockFailed, message);
      }
      throw invalidInput(message);
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(declared, options.maxBytes);
    }
    return await readBody(response, options.maxBytes);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof RetryableNodeError || err instanceof NonRetryableNodeError) throw err;
    if (timeout.aborted) {
      throw new RetryableNodeError(
        NodeErrorCode.BlockFailed,
        `fetching image ${shown} timed out after ${options.fetchTimeoutMs} ms`,
        err,
      );
    }
    // fetch rejects with a TypeError for DNS failures, refused connections and resets: all may pass.
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new RetryableNodeError(NodeErrorCode.BlockFailed, `fetching image ${shown} failed: ${reason}`, err);
  }
}

/** Reads the body chunk by chunk so a server that lies about (or omits) its length cannot exhaust memory. */
async function readBody(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(total, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function invalidInput(message: string): NonRetryableNodeError {
  return new NonRetryableNodeError(NodeErrorCode.InvalidInput, message);
}

/** `bytes` may be a lower bound (a stream cut short at the limit), so the message states only the limit. */
function tooLarge(bytes: number, maxBytes: number): NonRetryableNodeError {
  return invalidInput(`image is too large: ${bytes} bytes or more, the limit is ${maxBytes}`);
}

/** Errors name the URL without its query (signed URLs carry credentials there) and never at full length. */
function describeUrl(url: URL, max = 120): string {
  const shown = `${url.origin}${url.pathname}`;
  return shown.length <= max ? shown : `${shown.slice(0, max)}...`;
}
