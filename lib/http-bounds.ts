// lib/http-bounds: the bounds every netgraph HTTP(S) server keeps (the agent's API
// and the operator's port), so a client that is slow, idle, malformed or too big
// costs a bounded time and memory, is answered with a 4xx where HTTP can still
// answer, and the server goes on serving everyone else.
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';

/** Limits a server is made with: pass to http.createServer / https.createServer. */
export const BOUNDED_SERVER_OPTIONS = {
  /** Headers must be in within this (else 408): a slow-loris client gets its socket closed. */
  headersTimeout: 10_000,
  /** The whole request (headers and body) must be in within this (else 408). */
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  // Node checks the two timeouts above on this period (30 s by default).
  connectionsCheckingInterval: 1_000,
  /** Request line and headers together (else 431). */
  maxHeaderSize: 16 * 1024,
} satisfies ServerOptions;

/** TLS servers: a connection that never finishes its handshake is dropped after this. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 5_000;

/**
 * A connection with nothing sent or received for this long is closed. The timeouts
 * above only start with a request's first byte, so this is what ends a connection
 * that never sends one. Long responses stay open by writing (the agent's edge
 * stream pings every 5 s). It must stay below headersTimeout: on Node 20 a longer
 * one never fired for a connection that sent nothing (measured).
 */
export const IDLE_TIMEOUT_MS = 8_000;

/** Caps open connections (past the cap Node closes new sockets at once) and idle time. */
export function boundConnections(server: Server, maxConnections: number): void {
  server.maxConnections = maxConnections;
  server.timeout = IDLE_TIMEOUT_MS;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The request's URL, or undefined when its target is not a URL (e.g. `GET //`) or its path
 * is not as sent: URL parsing resolves `.` and `..` (also `%2e`), turns `\` into `/` and
 * reads `//x/...` as a host, so such a path would be served as one the client never named.
 */
export function requestURL(req: IncomingMessage, base: string): URL | undefined {
  const target = req.url ?? '/';
  let url: URL;
  try {
    url = new URL(target, base);
  } catch {
    return undefined;
  }
  // The path as sent, in origin-form (`/p?q`) or absolute-form (`http://host/p?q`).
  const sent = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*)?([^?#]*)/i.exec(target)?.[1] || '/';
  return sent === url.pathname ? url : undefined;
}

/**
 * Reads a request body of at most `max` bytes. A larger one (declared or sent)
 * throws HttpError 413 without reading the rest; answer it with `refuse`, which
 * closes the connection so the client cannot keep sending.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `request body over ${max} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) {
        chunks.push(c);
        return;
      }
      req.off('data', onData);
      req.pause();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** A 4xx with a JSON body naming what was wrong; the connection closes after it. */
export function refuse(res: ServerResponse, status: number, error: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(`${JSON.stringify({ error })}\n`);
}
