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
}

/**
 * The worker's side of RunPod's endpoint API. Maps HTTP failures to node errors with explicit
 * retryability: 429 and 5xx (and network faults) may pass, other 4xx mean the request is wrong.
 */
export class RunpodEndpointClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: RunpodEndpointClientOptions) {
    this.base = options.endpointUrl.replace(/\/+$/, '');
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
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
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new RetryableNodeError(NodeErrorCode.RunpodUnavailable, `RunPod endpoint unreachable: ${(err as Error).message}`, err);
    }
    const text = await res.text();
    if (res.status === 429 || res.status >= 500) {
      throw new RetryableNodeError(NodeErrorCode.RunpodUnavailable, `RunPod ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    if (!res.ok) {
      throw new NonRetryableNodeError(NodeErrorCode.RunpodRejected, `RunPod ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new RetryableNodeError(NodeErrorCode.RunpodUnavailable, `RunPod ${method} ${path} answered non-JSON`, err);
    }
  }
}

/** Turns a final job state that is not COMPLETED into the node error it stands for. */
export function errorOfRunpodJob(state: { status: RunpodJobStatus; error?: string | undefined }): RetryableNodeError | NonRetryableNodeError {
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
