// The operator's HTTP port against hostile or broken clients: each is answered with
// a 4xx or cut off within a stated time, and the port (and the process) goes on.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hugeBody, idleConnections, slowHeaders } from '../test/hostile-clients.js';
import { BOUNDED_SERVER_OPTIONS, IDLE_TIMEOUT_MS } from './http-bounds.js';
import { HttpServer } from './http-server.js';
import { logger } from './log.js';

const http = new HttpServer(logger('test', 'silent'));
let base = '';
let port = 0;
const raw = () => net.connect(port, '127.0.0.1');

const healthy = async () => expect((await fetch(`${base}/healthz`)).status).toBe(200);

/** The status of one raw request line, as a client that writes its own HTTP sends it. */
function rawStatus(requestLine: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = raw();
    let answer = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      answer += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    s.end(`${requestLine}\r\nhost: x\r\nconnection: close\r\n\r\n`);
  });
}

beforeAll(async () => {
  port = (await http.listen({ host: '127.0.0.1', port: 0 })).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => http.close());

describe("the operator's HTTP port", () => {
  it.each([
    ['a request target that is not a URL', 'GET // HTTP/1.1', 400],
    ['a method that changes something', 'DELETE /healthz HTTP/1.1', 405],
    ['an unknown path', 'GET /nope HTTP/1.1', 404],
    ['a URL over 16 KiB', `GET /${'x'.repeat(20_000)} HTTP/1.1`, 431],
  ])('%s', async (_what, line, status) => {
    expect(await rawStatus(line)).toBe(status);
    await healthy();
  });

  it.each([
    ['a GET with a 100 MiB body', 'GET /healthz HTTP/1.1', 413],
    ['a POST with a 100 MiB body', 'POST /healthz HTTP/1.1', 405],
  ])('%s is answered before the body is read', async (_what, line, status) => {
    const a = await hugeBody(raw, false, `${line}\r\nhost: x`, 100 << 20);
    expect(a.status).toBe(status);
    expect(a.ms).toBeLessThan(5_000);
    await healthy();
  });

  it('1,000 idle connections: those over the cap are closed at once, the rest within the idle timeout', async () => {
    const idle = await idleConnections(raw, 1000);
    expect(await idle.held).toBeLessThan(IDLE_TIMEOUT_MS + 3_000);
    await healthy();
  }, 40_000);

  it('a slow client (headers a byte at a time) gets 408 within the headers timeout', async () => {
    const slow = slowHeaders(raw, false);
    await healthy(); // while it drips
    const { answer, heldMs } = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(heldMs).toBeLessThan(BOUNDED_SERVER_OPTIONS.headersTimeout + 3_000);
  }, 30_000);
});
