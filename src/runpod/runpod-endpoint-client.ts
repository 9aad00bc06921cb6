import { Pool } from 'undici';
import { NodeErrorCode, NonRetryableNodeError, RetryableNodeError } from '../core/errors';
import {
  RunpodJobStatus,
  type BlockJobInput,
  type RunpodErrorPayload,
  type RunpodHealth,
  type RunpodJobState,
  type RunpodRunRequest,
} from './protocol';

export interface RunpodEndpointClientOptions {
  /** `https://api.runpod.ai/v2/<endpointId>`, or the local gpu-worker's `http://127.0.0.1:8010/v2/<endpointId>`. */
  endpointUrl: string;
  apiKey: string | undefined;
  /** Per request. @defaultValue 10000 */
  requestTimeoutMs?: number;
  /** Keep-alive connections to the endpoint at most. @defaultValue 128 */
  maxConnections?: number;
}

/**
 * The worker's side of RunPod's endpoint API. Maps HTTP failures to node errors with explicit
 * retryability: 429 and 5xx (and network faults) may pass, other 4xx mean the request is wrong.
 */
export class RunpodEndpointClient {
  /** The endpoint URL's path (`/v2/<endpointId>`), which every request path starts with. */
  private readonly basePath: string;
  private readonly timeoutMs: number;
  /**
   * One undici Pool bound to the endpoint's origin, rather than fetch or undici's global
   * `request(url)`: every GPU node makes a request, and skipping URL parsing and the agent's
   * per-origin lookup and interceptors is a measurable part of the worker's cost per node.
   */
  private readonly pool: Pool;
  private readonly headers: { get: Record<string, string>; post: Record<string, string> };

  constructor(private readonly options: RunpodEndpointClientOptions) {
    const url = new URL(options.endpointUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pool = new Pool(url.origin, { connections: options.maxConnections ?? 128, keepAliveTimeout: 30_000 });
    const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    this.headers = {
      get: { accept: 'application/json', ...auth },
      post: { accept: 'application/json', 'content-type': 'application/json', ...auth },
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async run(input: BlockJobInput, policy?: RunpodRunRequest['policy']): Promise<RunpodJobState> {
    const body: RunpodRunRequest<BlockJobInput> = policy ? { input, policy } : { input };
    return this.request('POST', '/run', body);
  }

  async status(jobId: string): Promise<RunpodJobState> {
    return this.request('GET', `/status/${encodeURIComponent(jobId)}`);
  }

  async cancel(jobId: string): Promise<RunpodJobState> {
    return this.request('POST', `/cancel/${encodeURIComponent(jobId)}`);
  }

  async health(): Promise<RunpodHealth> {
    return this.request('GET', '/health');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await this.pool.request({
        path: `${this.basePath}${path}`,
        method: method as 'GET' | 'POST',
        headers: body === undefined ? this.headers.get : this.headers.post,
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new RetryableNodeError(
        NodeErrorCode.RunpodUnavailable,
        `RunPod endpoint unreachable: ${(err as Error).message}`,
        err,
      );
    }
    if (status === 429 || status >= 500) {
      throw new RetryableNodeError(
        NodeErrorCode.RunpodUnavailable,
        `RunPod ${method} ${path} answered ${status}: ${text.slice(0, 300)}`,
      );
    }
    if (status < 200 || status >= 300) {
      throw new NonRetryableNodeError(
        NodeErrorCode.RunpodRejected,
        `RunPod ${method} ${path} answered ${status}: ${text.slice(0, 300)}`,
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new RetryableNodeError(NodeErrorCode.RunpodUnavailable, `RunPod ${method} ${path} answered non-JSON`, err);
    }
  }
}

/** Turns a final job state that is not COMPLETED into the node error it stands for. */
export function errorOfRunpodJob(state: {
  status: RunpodJobStatus;
  error?: string | undefined;
}): RetryableNodeError | NonRetryableNodeError {
  let payload: Partial<RunpodErrorPayload> | undefined;
  if (state.error) {
    try {
      const parsed: unknown = JSON.parse(state.error);
      if (typeof parsed === 'object' && parsed !== null) payload = parsed as Partial<RunpodErrorPayload>;
    } catch {
      payload = undefined;
    }
  }
  const message = payload?.error_message ?? state.error ?? `RunPod job ended ${state.status}`;
  switch (state.status) {
    case RunpodJobStatus.TimedOut:
      return new RetryableNodeError(NodeErrorCode.Timeout, `RunPod job timed out: ${message}`);
    case RunpodJobStatus.Cancelled:
      return new RetryableNodeError(NodeErrorCode.RunpodUnavailable, `RunPod job was cancelled: ${message}`);
    default: {
      const code = payload?.code ?? NodeErrorCode.BlockFailed;
      // A worker that does not say (a plain RunPod worker) is given the benefit of the doubt.
      const retryable = payload?.retryable ?? true;
      return retryable
        ? new RetryableNodeError(code as NodeErrorCode, message)
        : new NonRetryableNodeError(code as NodeErrorCode, message);
    }
  }
}
