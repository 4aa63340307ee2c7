// lib/http-server: every netgraph listener (the operator's port, the agent's HTTPS API,
// the agent's metrics port) is made here, with the bounds of lib/http-bounds.ts, and
// parses its HOST:PORT flag here. HttpServer adds a read-only router for the ports that
// only serve GET: each part registers what it serves under a path prefix (/healthz here,
// /metrics, the graph page and its API, ...).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import {
  BOUNDED_SERVER_OPTIONS,
  boundConnections,
  refuse,
  requestURL,
  TLS_HANDSHAKE_TIMEOUT_MS,
} from './http-bounds.js';
import type { Logger } from './log.js';
import { shareTurn } from './time-slices.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
export type Server = http.Server | https.Server;

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * "HOST:PORT", ":PORT" or "[v6]:PORT"; throws a message naming the flag and the caller's
 * example, since the operator and the agent listen on ports of their own.
 */
export function parseListen(text: string, flag: string, example: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`${flag} must be HOST:PORT, like ${example}, not "${text}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export interface BoundedServerOptions {
  /** Past this many open connections new sockets are closed at once. */
  maxConnections: number;
  /** Serve HTTPS with these (PEM certificate and key, and any other TLS server option). */
  tls?: https.ServerOptions;
}

/** An HTTP(S) server that a slow, idle, malformed or greedy client cannot hold. */
export function boundedServer(
  o: BoundedServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = o.tls
    ? https.createServer(
        { ...o.tls, ...BOUNDED_SERVER_OPTIONS, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
        handler,
      )
    : http.createServer(BOUNDED_SERVER_OPTIONS, handler);
  boundConnections(server as http.Server, o.maxConnections);
  return server;
}

/** Port 0 picks a free one; resolves with the address bound. */
export async function listen(
  server: Server,
  { host, port }: ListenAddress,
): Promise<ListenAddress> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  return { host, port: typeof bound === 'object' && bound ? bound.port : port };
}

/** Closes the listener and every connection, streams included. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}

/**
 * A 200 of newline-delimited JSON, a line an item, written in time slices and at the
 * pace the client reads: a large answer holds neither the event loop nor the heap.
 */
export async function sendLines<T>(
  res: ServerResponse,
  items: Iterable<T>,
  toJSON: (item: T) => unknown = (item) => item,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  let chunk = '';
  for (const item of items) {
    chunk += `${JSON.stringify(toJSON(item))}\n`;
    if (chunk.length < 64 * 1024) continue;
    const full = !res.write(chunk);
    chunk = '';
    if (full) await drainedOrClosed(res);
    if (res.destroyed) return;
    await shareTurn();
  }
  res.end(chunk);
}

/** Resolves once `res` takes writes again or is gone; leaves no listener behind. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** A 400 that names the query parameter at fault. */
export function badParameter(res: ServerResponse, parameter: string, why: string): void {
  sendJSON(res, 400, { error: `${parameter}: ${why}`, parameter });
}

/** What a guard says of a request: nothing when it may go on, else the refusal to send. */
export type GuardAnswer =
  | { status: number; error: string; headers?: Record<string, string> }
  | undefined;

export interface HttpServerOptions {
  /** Default 512. */
  maxConnections?: number;
  tls?: https.ServerOptions;
  /** Sent with every answer (e.g. Content-Security-Policy). */
  headers?: Record<string, string>;
  /** The Host header must pass this (a DNS-rebinding page sends its own name): else 421. */
  allowedHost?: (host: string) => boolean;
  /** Asked before any route but the public ones (e.g. authentication and authorization). */
  guard?: (req: IncomingMessage, url: URL) => Promise<GuardAnswer>;
  /** Paths that pass without the guard (e.g. /healthz). */
  publicPaths?: readonly string[];
}

/** A read-only port (GET and HEAD, no request bodies) with a router by path prefix. */
export class HttpServer {
  private readonly routes: { prefix: string; handler: Handler }[] = [];
  /** Paths chosen by a test of their own (a pattern a prefix cannot say), tried first. */
  private readonly matches: { match: (path: string) => boolean; handler: Handler }[] = [];
  private server?: Server;

  constructor(
    private readonly log: Logger,
    private readonly opts: HttpServerOptions = {},
  ) {
    this.route('/healthz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    });
  }

  /**
   * Serves every path equal to `prefix`, or under it when it ends with '/' (longest prefix
   * wins); or every path `prefix` says yes to, before any prefix.
   */
  route(prefix: string | ((path: string) => boolean), handler: Handler): void {
    if (typeof prefix === 'function') {
      this.matches.push({ match: prefix, handler });
      return;
    }
    this.routes.push({ prefix, handler });
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The port bound is logged ("http listening") and returned. */
  async listen(address: ListenAddress): Promise<ListenAddress> {
    const server = boundedServer(
      { maxConnections: this.opts.maxConnections ?? 512, tls: this.opts.tls },
      (req, res) => this.dispatch(req, res),
    );
    this.server = server;
    const bound = await listen(server, address);
    this.log.info(bound, 'http listening');
    return bound;
  }

  close(): Promise<void> {
    return this.server ? closeServer(this.server) : Promise.resolve();
  }

  /** New TLS material for new connections (a rotated certificate, a new client CA). */
  setSecureContext(options: https.ServerOptions): void {
    (this.server as https.Server | undefined)?.setSecureContext(options);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    for (const [name, value] of Object.entries(this.opts.headers ?? {})) res.setHeader(name, value);
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
    const host = req.headers.host ?? '';
    if (this.opts.allowedHost && !this.opts.allowedHost(host)) {
      refuse(res, 421, `host ${JSON.stringify(host)} is not one this server answers to`);
      return;
    }
    const path = url.pathname;
    const route =
      this.matches.find((r) => r.match(path)) ??
      this.routes.find((r) =>
        r.prefix.endsWith('/')
          ? path.startsWith(r.prefix) || path === r.prefix.slice(0, -1)
          : path === r.prefix,
      );
    const guard = this.opts.publicPaths?.includes(path) ? undefined : this.opts.guard;
    Promise.resolve()
      .then(async () => {
        // Refusals come before "no such path", so a stranger learns nothing of the paths.
        const refusal = await guard?.(req, url);
        if (refusal) {
          for (const [name, value] of Object.entries(refusal.headers ?? {}))
            res.setHeader(name, value);
          sendJSON(res, refusal.status, { error: refusal.error });
        } else if (!route) sendJSON(res, 404, { error: `no such path: ${path}` });
        else await route.handler(req, res, url);
      })
      .catch((err: unknown) => {
        this.log.error({ err, path }, 'http handler failed');
        if (!res.headersSent) sendJSON(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  }
}
