import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../paths';

/**
 * GraphiQL, served from node_modules so it works offline: graphiql 4's browser build with React 18's
 * UMD files, and graphql-ws's browser client for subscriptions. The API key goes in the headers
 * editor ({"Authorization": "Bearer <key>"}); subscriptions send the same value in connection_init.
 */
const ASSETS: Record<string, { module: string; type: string }> = {
  'graphiql.min.js': { module: 'graphiql/graphiql.min.js', type: 'text/javascript' },
  'graphiql.min.css': { module: 'graphiql/graphiql.min.css', type: 'text/css' },
  'react.production.min.js': { module: 'react/umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.production.min.js': { module: 'react-dom/umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphql-ws.min.js': { module: 'graphql-ws/umd/graphql-ws.min.js', type: 'text/javascript' },
};

export const GRAPHIQL_ASSET_PREFIX = '/graphiql/';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Switchyard GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.min.css" />
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script src="/graphiql/react.production.min.js"></script>
  <script src="/graphiql/react-dom.production.min.js"></script>
  <script src="/graphiql/graphql-ws.min.js"></script>
  <script src="/graphiql/graphiql.min.js"></script>
  <script>
    const url = location.origin + '/graphql';
    const wsUrl = url.replace(/^http/, 'ws');
    const clients = new Map();
    function wsClientFor(authorization) {
      if (!clients.has(authorization)) {
        clients.set(authorization, graphqlWs.createClient({ url: wsUrl, connectionParams: { authorization } }));
      }
      return clients.get(authorization);
    }
    const keyFromUrl = new URLSearchParams(location.hash.slice(1)).get('key');
    const key = keyFromUrl || '<your API key>';
    // The headers editor wins; the key in the URL covers requests GraphiQL makes before it is read
    // (the schema introspection on load).
    function fetcher(params, opts) {
      const headers = (opts && opts.headers) || {};
      const authorization = headers.Authorization || headers.authorization || (keyFromUrl ? 'Bearer ' + keyFromUrl : '');
      return GraphiQL.createFetcher({ url, wsClient: wsClientFor(authorization), headers: { Authorization: authorization } })(params, opts);
    }
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultHeaders: JSON.stringify({ Authorization: 'Bearer ' + key }, null, 2),
        shouldPersistHeaders: true,
        defaultQuery: '# Switchyard: run AI inference workflows and watch every node.\\n# Put your API key in the Headers tab (or open /graphql#key=<key>).\\n\\nquery Blocks {\\n  blocks { type runtime description }\\n}\\n',
      }),
    );
  </script>
</body>
</html>`;

export function serveGraphiql(res: ServerResponse, _url: URL): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(PAGE);
}

/** Serves one of the allow-listed browser files; false when `pathname` is not one. */
export function serveGraphiqlAsset(res: ServerResponse, pathname: string): boolean {
  const asset = ASSETS[pathname.slice(GRAPHIQL_ASSET_PREFIX.length)];
  if (!pathname.startsWith(GRAPHIQL_ASSET_PREFIX) || !asset) return false;
  res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=86400' });
  // Read by path: these packages' `exports` do not expose their browser builds to require().
  createReadStream(join(projectRoot(), 'node_modules', asset.module)).pipe(res);
  return true;
}
