// The agent's HTTPS API against hostile or broken clients: each is bounded and
// answered with a 4xx where HTTP can still answer, and the operator is served all
// along. The token checks against the real apiserver are in test/e2e/agent-auth.
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  BOUNDED_SERVER_OPTIONS,
  IDLE_TIMEOUT_MS,
  TLS_HANDSHAKE_TIMEOUT_MS,
} from '../../lib/http-bounds.js';
import { logger } from '../../lib/log.js';
import { agentOnPort } from '../../test/agent-on-port.js';
import { hugeBody, idleConnections, slowHeaders } from '../../test/hostile-clients.js';

const OPERATOR = 'Bearer operator-token';
const at = agentOnPort({
  authenticate: async (h) =>
    h === OPERATOR ? { ok: true, user: 'operator' } : { ok: false, error: 'bad token' },
  log: logger('test', 'silent'),
});

interface Answer {
  status: number;
  body: string;
}

/** One request as the operator (or with `headers` replacing its authorization). */
function call(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = { authorization: OPERATOR },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: at.port,
        method,
        path,
        ca: at.identity.cert,
        headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const operatorServed = async () => {
  expect((await call('PUT', '/v1/traces/gadget/t', '{"filter":{"namespace":"demo"}}')).status).toBe(
    200,
  );
  expect((await call('DELETE', '/v1/traces/gadget/t')).status).toBe(200);
};

describe('the agent API refuses bad requests with a 4xx that says why', () => {
  it.each([
    ['a body that is not JSON', '{"filter":', 400, /not JSON/],
    ['a body that is not an object', '"start"', 400, /body must be/],
    ['a filter of the wrong type', '{"filter":"demo"}', 400, /body must be/],
    ['a filter with a bad field', '{"filter":{"namespace":5}}', 400, /spec\.filter\.namespace/],
    ['a filter with an unknown field', '{"filter":{"pods":"x"}}', 400, /spec\.filter\.pods/],
  ])('%s', async (_what, body, status, error) => {
    const a = await call('PUT', '/v1/traces/gadget/t', body);
    expect(a.status).toBe(status);
    expect(a.body).toMatch(error);
    await operatorServed();
  });

  it.each([
    ['a target that is not a URL', '//'],
    ['a bad %-escape in the trace name', '/v1/traces/gadget/%E0%A4%A'],
  ])('%s', async (_what, path) => {
    expect((await call('GET', path)).status).toBe(400);
    await operatorServed();
  });

  it('a URL and headers over 16 KiB: 431', async () => {
    expect((await call('GET', `/v1/traces/gadget/${'x'.repeat(20_000)}`)).status).toBe(431);
    await operatorServed();
  });
});

describe('the agent API bounds what a client can make it hold', () => {
  const connect = () => tls.connect({ host: '127.0.0.1', port: at.port, ca: at.identity.cert });
  const raw = () => net.connect(at.port, '127.0.0.1');
  const put =
    'PUT /v1/traces/gadget/t HTTP/1.1\r\nhost: agent\r\nauthorization: Bearer operator-token';

  it.each([
    ['a 100 MiB body', false],
    ['a body sent in chunks without a length', true],
  ])('%s is refused with 413 before it is read', async (_what, chunked) => {
    const a = await hugeBody(connect, true, put, 100 << 20, chunked);
    expect(a.status).toBe(413);
    expect(a.body).toMatch(/over 2097152 bytes/);
    expect(a.ms).toBeLessThan(5_000);
    await operatorServed();
  });

  it('1,000 idle connections: the operator is served meanwhile, and each is closed within the handshake timeout', async () => {
    const idle = await idleConnections(raw, 1000);
    await operatorServed();
    expect(await idle.held).toBeLessThan(TLS_HANDSHAKE_TIMEOUT_MS + 3_000);
  }, 30_000);

  it('100 connections silent after their TLS handshake are closed within the idle timeout', async () => {
    const idle = await idleConnections(connect, 100, true);
    await operatorServed();
    expect(await idle.held).toBeLessThan(IDLE_TIMEOUT_MS + 3_000);
  }, 40_000);

  it('a slow client (headers a byte at a time) gets 408 within the headers timeout', async () => {
    const slow = slowHeaders(connect, true);
    await operatorServed(); // while it drips
    const { answer, heldMs } = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(heldMs).toBeLessThan(BOUNDED_SERVER_OPTIONS.headersTimeout + 3_000);
  }, 30_000);
});
