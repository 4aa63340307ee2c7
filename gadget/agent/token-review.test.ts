import https from 'node:https';
import { describe, expect, it } from 'vitest';
import {
  AGENT_AUDIENCE,
  AGENT_HEALTH_PATH,
  agentEdgesPath,
  agentTracePath,
} from '../../api/agent.js';
import type { KubeClient } from '../../lib/kube.js';
import { logger } from '../../lib/log.js';
import { agentOnPort } from '../../test/agent-on-port.js';
import { answerTo } from '../../test/answer-to.js';
import { Authenticator } from './token-review.js';

// Who may command an agent, with the TokenReview API scripted: what it answers for
// each token. The real apiserver's answers are checked in test/e2e/agent-auth.
const OPERATOR = 'system:serviceaccount:netgraph:netgraph-operator';
const reviews: Record<string, object> = {
  operator: { authenticated: true, user: { username: OPERATOR }, audiences: [AGENT_AUDIENCE] },
  intruder: {
    authenticated: true,
    user: { username: 'system:serviceaccount:default:intruder' },
    audiences: [AGENT_AUDIENCE],
  },
  'other-audience': {
    authenticated: true,
    user: { username: OPERATOR },
    audiences: ['https://kubernetes.default.svc'],
  },
  expired: { authenticated: false, error: 'token has expired' },
};
let reviewCalls = 0;
const kube = {
  request: async (_method: string, _path: string, body: { spec: { token: string } }) => {
    reviewCalls++;
    if (body.spec.token === 'apiserver-down') throw new Error('connect ECONNREFUSED');
    return { status: reviews[body.spec.token] ?? { authenticated: false } };
  },
} as unknown as KubeClient;

describe('Authenticator', () => {
  const auth = new Authenticator(kube, OPERATOR);

  it.each([
    [undefined, 'no bearer token'],
    ['Basic b3BlcmF0b3I=', 'no bearer token'],
    ['Bearer expired', 'token not authenticated: token has expired'],
    ['Bearer other-audience', 'token not bound to the agent audience'],
    ['Bearer intruder', 'user system:serviceaccount:default:intruder is not the operator'],
    ['Bearer apiserver-down', 'TokenReview failed: connect ECONNREFUSED'],
  ])('refuses %s: %s', async (header, error) => {
    expect(await auth.check(header)).toEqual({ ok: false, error });
  });

  it("accepts the operator's token, asking the API once while the verdict is fresh", async () => {
    const before = reviewCalls;
    expect(await auth.check('Bearer operator')).toEqual({ ok: true, user: OPERATOR });
    expect(await auth.check('Bearer operator')).toEqual({ ok: true, user: OPERATOR });
    expect(reviewCalls - before).toBe(1);
  });

  it("keeps the operator's verdict through a flood of made-up tokens (least recently used out)", async () => {
    const fresh = new Authenticator(kube, OPERATOR);
    const flood = async (from: number) => {
      for (let i = from; i < from + 999; i++) await fresh.check(`Bearer made-up-${i}`);
    };
    const before = reviewCalls;
    await fresh.check('Bearer operator');
    await flood(0);
    await fresh.check('Bearer operator'); // in use: the most recent again
    await flood(1000);
    expect(await fresh.check('Bearer operator')).toEqual({ ok: true, user: OPERATOR });
    expect(reviewCalls - before).toBe(1 + 999 + 999);
  });
});

describe('the agent API without the operator token', () => {
  const lines: Record<string, unknown>[] = [];
  const at = agentOnPort({
    authenticate: (h) => new Authenticator(kube, OPERATOR).check(h),
    log: logger('test', 'info', { write: (s: string) => lines.push(JSON.parse(s)) }),
  });

  const call = (method: string, path: string, token?: string) =>
    new Promise<{ status: number; challenge?: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: at.port,
          method,
          path,
          ca: at.identity.cert,
          agent: false,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              challenge: res.headers['www-authenticate'] as string | undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(method === 'PUT' ? '{"filter":{}}' : undefined);
    });

  const trace = { namespace: 'gadget', name: 't' };
  it.each([
    ['PUT', agentTracePath(trace)],
    ['DELETE', agentTracePath(trace)],
    ['GET', agentEdgesPath(trace, { epoch: '', after: 0 })],
  ])(
    'refuses %s %s with 401, a Bearer challenge and a log line saying why',
    async (method, path) => {
      for (const token of [undefined, 'intruder']) {
        expect(await call(method, path, token)).toEqual({ status: 401, challenge: 'Bearer' });
      }
      const refused = lines.filter((l) => l.msg === 'refused' && l.method === method);
      expect(refused.map((l) => l.reason)).toEqual([
        'no bearer token',
        'user system:serviceaccount:default:intruder is not the operator',
      ]);
      expect(at.agent.traceKeys()).toEqual([]); // nothing was started
    },
  );

  it('logs a flood of refusals 10 at a time', async () => {
    const path = agentTracePath(trace);
    for (let i = 0; i < 50; i++) expect((await call('DELETE', path, 'intruder')).status).toBe(401);
    // With the refusals of the tests before, over 50 in a few seconds: the burst of 10 only.
    expect(lines.filter((l) => l.msg === 'refused')).toHaveLength(10);
  });

  it('answers its health check without a token, and the operator everywhere else', async () => {
    expect((await call('GET', AGENT_HEALTH_PATH)).status).toBe(200);
    expect(
      (await call('GET', agentEdgesPath(trace, { epoch: '', after: 0 }), 'operator')).status,
    ).toBe(404);
    expect((await call('POST', agentTracePath(trace), 'operator')).status).toBe(405);
    expect((await call('GET', '/v1/nodes', 'operator')).status).toBe(404);
  });
});

describe('the agent API under a flood of made-up tokens', () => {
  const auth = new Authenticator(kube, OPERATOR);
  const at = agentOnPort({
    authenticate: (h, from) => auth.check(h, from),
    log: logger('test', 'silent'),
  });

  const list = (token: string) =>
    answerTo((onResponse) =>
      https.request(
        {
          host: '127.0.0.1',
          port: at.port,
          path: '/v1/nodes',
          ca: at.identity.cert,
          headers: { authorization: `Bearer ${token}` },
        },
        onResponse,
      ),
    );

  it('reviews 10 refused tokens from an address, then answers 429 without asking; the operator goes on', async () => {
    expect((await list('operator')).status).toBe(404); // let in: no such path
    const before = reviewCalls;
    for (let i = 0; i < 10; i++) expect((await list(`made-up-${i}`)).status).toBe(401);
    const throttled = await list('made-up-10');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toSatisfy((s: number) => s > 0 && s <= 60);
    expect(throttled.error).toMatch(/^10 bearer tokens refused from this address within 60 s/);
    expect((await list('operator')).status).toBe(404);
    expect(reviewCalls - before).toBe(10);
  });
});
