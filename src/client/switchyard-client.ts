import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface SwitchyardClientOptions {
  /** `http(s)://host:port/graphql`; subscriptions use the same URL over ws(s). */
  url: string;
  apiKey: string;
  /** @defaultValue 30000 */
  requestTimeoutMs?: number;
}

/** A GraphQL response with errors; `errors` holds them as the server sent them (code in extensions). */
export class SwitchyardClientError extends Error {
  constructor(
    readonly errors: readonly GraphQLFormattedError[],
    readonly status: number,
  ) {
    super(errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; ') || `HTTP ${status}`);
    this.name = 'SwitchyardClientError';
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code as string | undefined;
  }
}

/**
 * The typed client: every operation is a TypedDocumentNode generated from
 * src/client/operations/*.graphql, so variables and results are checked by the compiler. Queries
 * and mutations go over HTTP, subscriptions over graphql-ws, both authenticated with the API key.
 */
export class SwitchyardClient {
  private ws: Client | undefined;

  constructor(private readonly options: SwitchyardClientOptions) {}

  async request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const res = await fetch(this.options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
      body: JSON.stringify({ query: print(document), variables }),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: { data?: R | null; errors?: GraphQLFormattedError[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new SwitchyardClientError([{ message: text.slice(0, 500) }], res.status);
    }
    if (body.errors?.length || !body.data) throw new SwitchyardClientError(body.errors ?? [], res.status);
    return body.data;
  }

  /** Yields each result of a subscription; ends when the server completes it; throws its errors. */
  subscribe<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): AsyncIterableIterator<R> {
    const iterator = this.wsClient().iterate<R>({ query: print(document), variables });
    return {
      async next() {
        const step = await iterator.next();
        if (step.done) return { done: true, value: undefined };
        if (step.value.errors?.length) throw new SwitchyardClientError(step.value.errors, 200);
        return { done: false, value: step.value.data as R };
      },
      async return() {
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = undefined;
  }

  private wsClient(): Client {
    this.ws ??= createClient({
      url: this.options.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.options.apiKey}` },
      lazy: true,
      retryAttempts: 5,
    });
    return this.ws;
  }
}
