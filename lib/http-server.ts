// operator/http: the operator's read-only HTTP port (default 0.0.0.0:9090, flag
// --http-listen). Each part registers what it serves under a path prefix:
// /healthz here, /metrics (operator/metrics), / and /api/v1/ (the graph page and
// its API). Nothing here changes cluster state, so GET and HEAD are all it takes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BOUNDED_SERVER_OPTIONS, boundConnections, refuse, requestURL } from './http-bounds.js';
import type { Logger } from './log.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** "HOST:PORT", ":PORT" or "[v6]:PORT"; throws a message naming the flag. */
export function parseListen(text: string, flag = '--http-listen'): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`${flag} must be HOST:PORT, like 0.0.0.0:9090, not "${text}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}

/** A 400 that names the query parameter at fault. */
export function badParameter(res: ServerResponse, parameter: string, why: string): void {
  sendJSON(res, 400, { error: `${parameter}: ${why}`, parameter });
}

export class HttpServer {
  private readonly routes: { prefix: string; handler: Handler }[] = [];
  private server?: Server;

  constructor(private readonly log: Logger) {
    this.route('/healthz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    });
  }

  /** Serves every path equal to `prefix`, or under it when it ends with '/'. Longest prefix wins. */
  route(prefix: string, handler: Handler): void {
    this.routes.push({ prefix, handler });
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Port 0 picks a free one; the port bound is logged ("http listening") and returned. */
  async listen({
    host,
    port,
  }: {
    host: string;
    port: number;
  }): Promise<{ host: string; port: number }> {
    // A slow or idle client cannot hold the port: bounded headers, requests and keep-alive.
    const server = createServer(BOUNDED_SERVER_OPTIONS, (req, res) => this.dispatch(req, res));
    boundConnections(server, 512);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const bound = server.address();
    const actual = typeof bound === 'object' && bound ? bound.port : port;
    this.log.info({ host, port: actual }, 'http listening');
    return { host, port: actual };
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const url = requestURL(req, 'http://operator');
    if (!url) {
      refuse(res, 400, 'malformed request target');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', connection: 'close' }).end();
      return;
    }
    // Nothing here reads a body: refuse one rather than let Node read it to the end.
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding']) {
      refuse(res, 413, 'GET and HEAD take no request body');
      return;
    }
    const path = url.pathname;
    const route = this.routes.find((r) =>
      r.prefix.endsWith('/')
        ? path.startsWith(r.prefix) || path === r.prefix.slice(0, -1)
        : path === r.prefix,
    );
    if (!route) {
      sendJSON(res, 404, { error: `no such path: ${path}` });
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res, url))
      .catch((err: unknown) => {
        this.log.error({ err, path }, 'http handler failed');
        if (!res.headersSent) sendJSON(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  }
}
