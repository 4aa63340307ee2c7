import { afterEach, describe, expect, it } from 'vitest';
import type { AgentTraceStatus } from '../../api/agent.js';
import type { Edge } from '../../api/edge.js';
import { Agent, type DataPlane, type Pod } from '../../gadget/agent/agent.js';
import { agentServer } from '../../gadget/agent/server.js';
import { listen, type Server } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
import { selfSignedIdentity } from '../../lib/tls.js';
import { type AgentAddress, AgentSession } from './agent-session.js';

// The operator's session against the agent's real HTTPS server and bookkeeping
// (both sides of api/agent.ts in one process); only the data plane is scripted:
// each drain hands out the edges a test pushed for the pod.
const silent = logger('test', 'silent');
const identity = selfSignedIdentity(['127.0.0.1']);
const TOKEN = 'operator-token';
const TRACE = { namespace: 'gadget', name: 't' };

const edge = (port: number, connections = 1): Edge => ({
  type: 'normal',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.96.0.10',
  port,
  connections,
});

const pod: Pod = {
  metadata: { namespace: 'demo', name: 'client' },
  spec: { containers: [{ name: 'main' }] },
  status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] },
};

/** One agent process: its Agent, its server, and the edges its pod's next drain returns. */
async function startAgent(): Promise<{
  agent: Agent;
  server: Server;
  address: AgentAddress;
  push(...edges: Edge[]): void;
  stop(): void;
}> {
  const pending: Edge[] = [];
  const dataPlane: DataPlane = {
    findPodNetns: async () => {
      const ns = { path: '/var/run/netns/client', name: 'client', inode: 1 };
      return { sandboxes: [ns], holders: [ns] };
    },
    openTracers: async (paths) =>
      paths.map(() => ({
        drain: () => pending.splice(0),
        snapshot: () => [],
        stats: () => ({ edges: 0, edgeDrops: 0, flowDrops: 0, midstream: 0, seeded: 0 }),
        close: () => {},
      })),
    openConnections: async (paths) => paths.map(() => new Map()),
  };
  const agent = new Agent('n1', dataPlane, silent, 10);
  agent.onPodsReset([pod]);
  const server = agentServer({
    agent,
    tls: identity,
    authenticate: async (h) =>
      h === `Bearer ${TOKEN}` ? { ok: true, user: 'operator' } : { ok: false, error: 'bad token' },
    log: silent,
  });
  const addr = await listen(server, { host: '127.0.0.1', port: 0 });
  return {
    agent,
    server,
    address: { endpoint: `https://127.0.0.1:${addr.port}`, cert: identity.cert },
    push: (...edges) => pending.push(...edges),
    stop: () => {
      agent.close();
      server.close();
      server.closeAllConnections();
    },
  };
}

function openSession(address: AgentAddress) {
  const got: { port: number; connections: number }[] = [];
  const statuses: AgentTraceStatus[] = [];
  const errors: string[] = [];
  const session = new AgentSession('n1', address, TRACE, { filter: {} }, async () => TOKEN, {
    onEdge: (_node, e) => got.push({ port: e.port ?? 0, connections: e.connections ?? 0 }),
    onStatus: (_node, s) => statuses.push(s),
    onError: (_node, reason) => errors.push(reason),
  });
  return { session, got, statuses, errors };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('AgentSession with an agent', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('resumes a dropped stream after the last edge it got: none lost, none sent twice', async () => {
    const a = await startAgent();
    cleanup.push(a.stop);
    const s = openSession(a.address);
    cleanup.push(() => s.session.close());
    await s.session.start();
    a.push(edge(80), edge(443));
    await until(() => s.got.length === 2);

    // The connection drops (a network blip); edges keep coming meanwhile.
    a.server.closeAllConnections();
    a.push(edge(8080), edge(80, 5));
    await until(() => s.got.length >= 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.got).toEqual([
      { port: 80, connections: 1 },
      { port: 443, connections: 1 },
      { port: 8080, connections: 1 },
      { port: 80, connections: 5 },
    ]);
    expect(s.errors.length).toBeGreaterThan(0); // the drop was noticed, and retried
  });

  it('starts the trace again on an agent that restarted without it', async () => {
    const first = await startAgent();
    const s = openSession(first.address);
    cleanup.push(() => s.session.close());
    await s.session.start();
    first.push(edge(80));
    await until(() => s.got.length === 1);

    // The agent restarts: a new epoch, a new address, and no trace until told again.
    first.stop();
    const second = await startAgent();
    cleanup.push(second.stop);
    expect(second.agent.epoch).not.toBe(first.agent.epoch);
    second.push(edge(53), edge(443));
    s.session.moveTo(second.address);
    await until(() => second.agent.traceKeys().includes('gadget/t'));
    // Its numbers start over: the session asks from 0 in the new epoch, so both edges come.
    await until(() => s.got.length === 3);
    expect(s.got.slice(1).map((e) => e.port)).toEqual([53, 443]);
  });

  it('takes everything a restarted agent holds: its numbers start over in a new epoch', async () => {
    const first = await startAgent();
    const s = openSession(first.address);
    cleanup.push(() => s.session.close());
    await s.session.start();
    first.push(edge(80), edge(443), edge(8080));
    await until(() => s.got.length === 3);
    first.stop();

    // The new agent already runs the trace (told by another operator) and holds two edges,
    // numbered 1 and 2: below the 3 the session got from the old epoch.
    const second = await startAgent();
    cleanup.push(second.stop);
    second.agent.startTrace('gadget/t', {});
    second.push(edge(53), edge(5432));
    const held = () => {
      let n = 0;
      second.agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => {
        if ('edge' in f) n++;
      })?.();
      return n;
    };
    await until(() => held() === 2);
    s.session.moveTo(second.address);
    await until(() => s.got.length === 5);
    expect(s.got.slice(3).map((e) => e.port)).toEqual([53, 5432]);
  });

  it('stops the trace and gets its last edges before stop() resolves', async () => {
    const a = await startAgent();
    cleanup.push(a.stop);
    const s = openSession(a.address);
    await s.session.start();
    await until(() => s.statuses.length > 0);
    a.push(edge(5432, 7)); // drained by the stop's final drain at the latest
    await s.session.stop(10_000);
    expect(s.got).toContainEqual({ port: 5432, connections: 7 });
    expect(a.agent.traceKeys()).toEqual([]);
    expect(s.errors).toEqual([]); // the stream ended with its end frame, not broken
  });

  it('reports a refused token as an error of the start', async () => {
    const a = await startAgent();
    cleanup.push(a.stop);
    const session = new AgentSession('n1', a.address, TRACE, { filter: {} }, async () => 'stolen', {
      onEdge: () => {},
      onStatus: () => {},
      onError: () => {},
    });
    await expect(session.start()).rejects.toThrow(/answered 401 to PUT/);
  });
});
