// Agents accept commands only from the operator's ServiceAccount, with a token
// bound to the agents' audience, as the real apiserver's TokenReview judges it,
// and only over TLS with the certificate the agent published in its Lease.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_AUDIENCE,
  AGENT_CERT_ANNOTATION,
  AGENT_ENDPOINT_ANNOTATION,
  AGENT_HEALTH_PATH,
  agentEdgesPath,
  agentLeaseName,
  agentTracePath,
  type TraceRef,
} from '../../api/agent.js';
import { NETGRAPH_NS, OPERATOR_SA, type Proc } from './netgraph.js';
import { type Agents, prepareTestbed, startNetgraph } from './on-testbed.js';
import { kubectl, waitFor } from './testbed.js';

/** The edge stream's path without its query: what the agent logs. */
const edgesPath = (ref: TraceRef) =>
  new URL(agentEdgesPath(ref, { epoch: '', after: 0 }), 'https://agent').pathname;

const NODE = 'auth-node';
let net: Agents;
let agent: Proc;
let endpoint: string;
let cert: string;
let nodeIP: string;

const token = async (sa: string, audience = AGENT_AUDIENCE) =>
  (await kubectl(['create', 'token', '-n', NETGRAPH_NS, sa, '--audience', audience])).trim();

/** An HTTPS request to the agent, trusting `ca` (by default the certificate from its Lease). */
function call(
  method: string,
  path: string,
  authorization?: string,
  ca: string | string[] = cert,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, endpoint),
      { method, ca, headers: authorization ? { authorization } : {} },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(method === 'PUT' ? JSON.stringify({ filter: { namespace: 'nobody' } }) : undefined);
  });
}

beforeAll(async () => {
  const [node] = await prepareTestbed({ nodes: [NODE] });
  nodeIP = node?.ip ?? '';
  await kubectl(['create', 'serviceaccount', '-n', NETGRAPH_NS, 'intruder']).catch(() => {});
  net = await startNetgraph({ nodes: [NODE], operator: false });
  [agent] = net.agents as [Proc];
  const annotations = await waitFor(async () => {
    const lease = JSON.parse(
      await kubectl(['get', 'lease', '-n', NETGRAPH_NS, agentLeaseName(NODE), '-o', 'json']),
    );
    return lease.metadata.annotations as Record<string, string> | undefined;
  });
  endpoint = annotations[AGENT_ENDPOINT_ANNOTATION] ?? '';
  cert = annotations[AGENT_CERT_ANNOTATION] ?? '';
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

describe('agent authentication', () => {
  it("announces itself with a Lease holding its HTTPS endpoint (on its node's address) and certificate", () => {
    expect(new URL(endpoint).hostname).toBe(nodeIP);
    expect(new URL(endpoint).protocol).toBe('https:');
    expect(cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('serves no plain HTTP, and a client that does not trust its certificate cannot talk to it', async () => {
    await expect(fetch(`${endpoint.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
    // Trusting nothing (not even the system's CAs): the agent's certificate is refused.
    await expect(call('GET', '/healthz', undefined, [])).rejects.toThrow(/certificate/i);
  });

  it.each([
    ['no token', async () => undefined, 'no bearer token'],
    ['a malformed token', async () => 'Bearer not-a-token', 'token not authenticated'],
    [
      'another ServiceAccount',
      async () => `Bearer ${await token('intruder')}`,
      'is not the operator',
    ],
    [
      "the operator's token for another audience",
      async () => `Bearer ${await token(OPERATOR_SA, 'https://kubernetes.default.svc')}`,
      'token not authenticated',
    ],
  ])('refuses %s with 401 and a log line', async (what, auth, reason) => {
    const authorization = await auth();
    // A trace name per case, so each log line is matched to its own request. Two requests
    // a case: the agent logs a burst of 10 refusals, then 10 a minute (the test below).
    const ref = { namespace: 'x', name: what.replace(/\W+/g, '-') };
    for (const [method, path] of [
      ['PUT', agentTracePath(ref)],
      ['GET', edgesPath(ref)],
    ] as const) {
      expect(await call(method, path, authorization)).toBe(401);
      const line = await agent.waitLine(
        (l) => l.msg === 'refused' && l.method === method && l.path === path,
        5000,
      );
      expect(String(line.reason)).toContain(reason);
    }
  });

  it('refuses a flood with 401 each, but logs only a few of them', async () => {
    const ref = { namespace: 'x', name: 'flood' };
    const before = agent.lines.length;
    for (let i = 0; i < 30; i++)
      expect(await call('PUT', agentTracePath(ref), 'Bearer not-a-token')).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    const logged = agent.lines.slice(before).filter((l) => l.msg === 'refused').length;
    // What is left of the burst, plus at most a few refilled at 10 a minute.
    expect(logged).toBeLessThan(10);
  });

  it("accepts the operator's audience-bound token", async () => {
    const authorization = `Bearer ${await token(OPERATOR_SA)}`;
    const ref = { namespace: 'x', name: 'y' };
    expect(await call('GET', edgesPath(ref), authorization)).toBe(404); // known caller, unknown trace
    expect(await call('PUT', agentTracePath(ref), authorization)).toBe(200);
    expect(await call('DELETE', agentTracePath(ref), authorization)).toBe(200);
    expect(await call('GET', AGENT_HEALTH_PATH)).toBe(200);
  });
});
