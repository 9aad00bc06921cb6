import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { ErrorCode, SwitchyardError } from '../core/errors';
import { LifecyclePhase } from '../lifecycle';
import type { ApiContext } from './context';
import { formatError, formatGraphQLErrors } from './format-error';
import { serveGraphiql, serveGraphiqlAsset } from './graphiql';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Larger request bodies get HTTP 413 (send large images by URL). */
  maxBodyBytes: number;
  /** How long a stop waits for requests and subscriptions to end before closing them. */
  shutdownGraceMs: number;
}

export interface HttpServerDeps {
  schema: GraphQLSchema;
  /** Builds a resolver context from an `Authorization` value; throws UNAUTHENTICATED. */
  contextFor(authorization: unknown): Promise<ApiContext>;
  /** Whether the dependencies (Redis, database) answer: /readyz. */
  readiness(): Promise<Record<string, boolean>>;
  log: Logger;
}

export const GRAPHQL_PATH = '/graphql';

class BodyTooLargeError extends Error {}

/**
 * Node's HTTP server carrying GraphQL over HTTP (Apollo Server) and over WebSocket (graphql-ws) on
 * one port and path, plus /healthz and /readyz. Stopping drains: no new connections, in-flight
 * requests finish, subscriptions are closed with 1001 (going away) after the grace period.
 */
export class HttpServer {
  private phase: LifecyclePhase = LifecyclePhase.Starting;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly apollo: ApolloServer<ApiContext>;
  private readonly wsCleanup: { dispose: () => void | Promise<void> };

  constructor(
    private readonly options: HttpServerOptions,
    private readonly deps: HttpServerDeps,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: GRAPHQL_PATH, maxPayload: options.maxBodyBytes });
    const logError = (err: unknown): void => deps.log.error({ err }, 'unexpected error');
    this.wsCleanup = useServer<{ authorization?: unknown }, { context?: ApiContext }>(
      {
        schema: deps.schema,
        onConnect: async (ctx) => {
          try {
            ctx.extra.context = await deps.contextFor(ctx.connectionParams?.authorization);
            return true;
          } catch (err) {
            if (err instanceof SwitchyardError && err.code === ErrorCode.Unauthenticated) {
              // 4401 rather than graphql-ws's default 4403: the client sent no valid key at all.
              ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
              return false;
            }
            logError(err);
            ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
            return false;
          }
        },
        context: (ctx) => ctx.extra.context as ApiContext,
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors ? { ...result, errors: formatGraphQLErrors(result.errors as GraphQLError[], logError) } : result,
        onError: (_ctx, _id, _payload, errors) => formatGraphQLErrors(errors, logError) as unknown as GraphQLError[],
      },
      this.wss,
    );
    const wsCleanup = this.wsCleanup;
    this.apollo = new ApolloServer<ApiContext>({
      schema: deps.schema,
      introspection: true,
      includeStacktraceInErrorResponses: false,
      // The process owns its signals (src/lifecycle.ts); Apollo's own handler would stop the server
      // and then re-raise the signal, cutting the drain short.
      stopOnTerminationSignals: false,
      formatError: (formatted, error) => formatError(formatted, error, logError),
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer: this.server, stopGracePeriodMillis: options.shutdownGraceMs }),
        ApolloServerPluginLandingPageDisabled(),
        {
          async serverWillStart() {
            return {
              async drainServer() {
                await wsCleanup.dispose();
              },
            };
          },
        },
      ],
    });
  }

  get currentPhase(): LifecyclePhase {
    return this.phase;
  }

  async listen(): Promise<AddressInfo> {
    await this.apollo.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.phase = LifecyclePhase.Running;
    return this.server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    if (this.phase === LifecyclePhase.Draining || this.phase === LifecyclePhase.Stopped) return;
    this.phase = LifecyclePhase.Draining;
    await this.apollo.stop();
    this.wss.close();
    this.phase = LifecyclePhase.Stopped;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/healthz')
        return sendJson(res, this.phase === LifecyclePhase.Running ? 200 : 503, { status: this.phase });
      if (url.pathname === '/readyz') return await this.ready(res);
      if (req.method === 'GET' && serveGraphiqlAsset(res, url.pathname)) return;
      if (url.pathname !== GRAPHQL_PATH)
        return sendJson(res, 404, { error: `no route ${url.pathname}; GraphQL is at ${GRAPHQL_PATH}` });
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !url.searchParams.has('query')) {
        return serveGraphiql(res, url);
      }
      await this.graphql(req, res, url);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return sendJson(res, 413, { errors: [{ message: err.message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
      }
      this.deps.log.error({ err }, 'request failed');
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [{ message: 'internal server error', extensions: { code: ErrorCode.InternalServerError } }],
        });
    }
  }

  private async ready(res: ServerResponse): Promise<void> {
    const checks = await this.deps.readiness();
    const ok = this.phase === LifecyclePhase.Running && Object.values(checks).every(Boolean);
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', phase: this.phase, checks });
  }

  private async graphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const text = req.method === 'POST' ? await readBody(req, this.options.maxBodyBytes) : '';
    let body: unknown = text;
    if (text.length > 0 && (headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, {
          errors: [{ message: 'request body is not valid JSON', extensions: { code: ErrorCode.BadUserInput } }],
        });
      }
    }
    const request: HTTPGraphQLRequest = { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body };
    const response = await this.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request,
      context: async () => {
        try {
          return await this.deps.contextFor(req.headers.authorization);
        } catch (err) {
          if (err instanceof SwitchyardError) {
            throw new GraphQLError(err.message, {
              extensions: { code: err.code, http: { status: err.code === ErrorCode.Unauthenticated ? 401 : 503 } },
            });
          }
          throw err;
        }
      },
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(`request body of ${declared} bytes is over the limit of ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body is over the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
