// Clients that misbehave, for the tests of netgraph's HTTP(S) servers (the agent's
// API, the operator's port): many idle connections, headers sent a byte at a time,
// a huge body. Each returns what a test asserts: how long the server held on, and
// what it answered.
import type { Socket } from 'node:net';

/** Opens a connection (plain TCP, or TLS up to its handshake) to the server under test. */
export type Connect = () => Socket;

const opened = (s: Socket, event: 'connect' | 'secureConnect') =>
  new Promise<Socket>((resolve, reject) => {
    s.once(event, () => resolve(s));
    s.once('error', reject);
  });

/**
 * Opens `n` connections (through their TLS handshake when `secure`) that then send
 * nothing. `held` resolves once the server has closed them all, with the longest
 * time one stayed open (ms).
 */
export async function idleConnections(
  connect: Connect,
  n: number,
  secure = false,
): Promise<{ held: Promise<number> }> {
  const t0 = Date.now();
  const closes: Promise<number>[] = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      const s = connect();
      s.on('error', () => {}); // a reset by the server is what is expected
      closes.push(new Promise((resolve) => s.once('close', () => resolve(Date.now() - t0))));
      return opened(s, secure ? 'secureConnect' : 'connect');
    }),
  );
  return { held: Promise.all(closes).then((times) => Math.max(...times)) };
}

/**
 * Sends a request's headers a byte every `everyMs` and never finishes them.
 * Resolves when the server closes the connection: what it answered, and after how long.
 */
export async function slowHeaders(
  connect: Connect,
  secure: boolean,
  everyMs = 200,
): Promise<{ answer: string; heldMs: number }> {
  const t0 = Date.now();
  const s = await opened(connect(), secure ? 'secureConnect' : 'connect');
  let answer = '';
  s.setEncoding('utf8').on('data', (d: string) => {
    answer += d;
  });
  s.on('error', () => {});
  const head = `GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ${'a'.repeat(100)}`;
  let i = 0;
  const drip = setInterval(() => {
    if (!s.destroyed) s.write(head[i++ % head.length] as string);
  }, everyMs);
  await new Promise((resolve) => s.once('close', resolve));
  clearInterval(drip);
  return { answer, heldMs: Date.now() - t0 };
}

/**
 * Sends `bytes` of body after the headers (with a content-length, or chunked when
 * `chunked`), as fast as the server reads, until it answers. Resolves with the
 * status line it answered and the ms that took.
 */
export async function hugeBody(
  connect: Connect,
  secure: boolean,
  head: string,
  bytes: number,
  chunked = false,
): Promise<{ status: number; ms: number; body: string }> {
  const t0 = Date.now();
  const s = await opened(connect(), secure ? 'secureConnect' : 'connect');
  s.on('error', () => {}); // the server closes while we still write: expected
  let answer = '';
  s.setEncoding('utf8').on('data', (d: string) => {
    answer += d;
  });
  const length = chunked ? 'transfer-encoding: chunked' : `content-length: ${bytes}`;
  s.write(`${head}\r\n${length}\r\n\r\n`);
  const chunk = Buffer.alloc(64 << 10, 0x20);
  let sent = 0;
  const more = () => {
    while (!s.destroyed && sent < bytes && answer === '') {
      sent += chunk.length;
      const data = chunked
        ? Buffer.concat([
            Buffer.from(`${chunk.length.toString(16)}\r\n`),
            chunk,
            Buffer.from('\r\n'),
          ])
        : chunk;
      if (!s.write(data)) return;
    }
  };
  s.on('drain', more);
  more();
  await new Promise((resolve) => s.once('close', resolve));
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  return { status, ms: Date.now() - t0, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) };
}
