/** Sent as `runpod_version` on pings and as `User-Agent`: RunPod sees which worker implementation talks to it. */
export const WORKER_AGENT = 'switchyard-gpu-worker';

/** RunPod answered 429: the caller pauses (`tooManyRequestsBackoffMs`) before asking again. */
export class TooManyRequestsError extends Error {
  constructor(readonly url: string) {
    super(`RunPod answered 429 Too Many Requests on ${redact(url)}`);
    this.name = 'TooManyRequestsError';
  }
}

/** RunPod answered a status the protocol does not expect there. */
export class RunpodHttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`RunPod answered HTTP ${status} on ${redact(url)}`);
    this.name = 'RunpodHttpError';
  }
}

/** URLs for logs: RunPod's templates may carry routing or auth parameters in the query. */
export function redact(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : `${url.slice(0, at)}?…`;
}

/**
 * The HTTP calls a worker makes to RunPod, with the headers runpod-python's session sends on every
 * one: the API key bare in `Authorization` (no "Bearer"), `Content-Type: application/json`, and a
 * User-Agent. Callers read the status codes: each endpoint gives them its own meaning.
 */
export class RunpodHttpClient {
  private readonly baseHeaders: Readonly<Record<string, string>>;

  constructor(apiKey: string) {
    this.baseHeaders = { authorization: apiKey, 'content-type': 'application/json', 'user-agent': WORKER_AGENT };
  }

  async get(url: string, signal: AbortSignal): Promise<Response> {
    return fetch(url, { method: 'GET', headers: this.baseHeaders, signal });
  }

  async post(url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Response> {
    return fetch(url, { method: 'POST', headers: { ...this.baseHeaders, ...headers }, body, signal });
  }
}

/** Reads a JSON body the way runpod-python does: anything but `application/json` with content is "nothing". */
export async function readJson(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (!type.includes('application/json') || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Empties a body nobody reads, so undici can reuse the connection. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
