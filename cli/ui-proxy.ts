// ui: the operator's graph page on 127.0.0.1, each request forwarded with the user's
// credentials (operator-endpoint.ts). Whatever reaches this port is served as the user,
// so it listens on loopback only, and answers only requests addressed to it by a
// loopback name: a web page elsewhere cannot borrow it by DNS rebinding (as kubectl
// proxy's --accept-hosts).
import http from 'node:http';
import type { OperatorEndpoint } from './operator-endpoint.js';

/** Whether a request's Host header names this proxy by a loopback name and its port. */
export function loopbackHost(host: string | undefined, port: number): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].some((h) => host === `${h}:${port}`);
}

// The request headers the page's requests need; cookies and the like stay here.
const FORWARDED = ['accept', 'accept-encoding', 'cache-control', 'if-none-match', 'last-event-id'];

export interface Proxy {
  url: URL;
  close(): Promise<void>;
}

export async function startProxy(operator: OperatorEndpoint, port: number): Promise<Proxy> {
  const server = http.createServer((req, res) => {
    const bound = (server.address() as { port: number }).port;
    if (!loopbackHost(req.headers.host, bound)) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`only http://127.0.0.1:${bound}/ is served here\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const h of FORWARDED) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    operator.request(req.url ?? '/', { method: req.method, headers }).then(
      (up) => {
        const { connection: _c, 'keep-alive': _k, ...kept } = up.headers;
        res.writeHead(up.statusCode ?? 502, kept);
        up.pipe(res);
        // The page's live stream ends when the page goes.
        res.on('close', () => up.destroy());
      },
      (err: Error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`${err.message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: new URL(`http://127.0.0.1:${bound}/`),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
