import { describe, expect, it } from 'vitest';
import type { StreamCursor } from '../../api/agent.js';
import type { Edge } from '../../api/edge.js';
import { logger } from '../../lib/log.js';
import { edge } from '../../test/fake-agents.js';
import { ClusterState } from '../enrich/cluster-state.js';
import { GroupView } from '../enrich/group.js';
import type { AgentAddress, Session, SessionEvents, SessionFactory } from './agent-session.js';
import { traceSummary } from './summary.js';
import { TraceRun } from './trace-run.js';

// One running trace with scripted sessions: what it logs, counts and writes when
// agents send, resend after a reconnect, fail, go away and stop.
const AGENT: AgentAddress = { endpoint: 'https://n1:9478', cert: 'PEM' };

/** `slow`: nodes whose agents take 50 ms to stop (many times flushMs). */
function run(refuse = new Set<string>(), slow = new Set<string>()) {
  const events = new Map<string, SessionEvents>();
  const states = new Map<string, string>();
  /** Each node's stream position, as a session would track it. */
  const cursors = new Map<string, StreamCursor>();
  const sessions: SessionFactory = (node, _agent, trace, _command, ev) => {
    expect(trace).toEqual({ namespace: 'gadget', name: 't' });
    events.set(node, ev);
    const s: Session = {
      start: async () => {
        if (refuse.has(node)) throw new Error(`agent on ${node} answered 503 to PUT`);
        states.set(node, 'started');
      },
      moveTo: () => states.set(node, 'moved'),
      stop: async () => {
        if (slow.has(node)) await new Promise((r) => setTimeout(r, 50));
        states.set(node, 'stopped');
      },
      close: () => states.set(node, 'closed'),
      cursor: () => cursors.get(node) ?? { epoch: '', after: 0 },
    };
    return s;
  };
  const lines: Record<string, unknown>[] = [];
  const log = logger('test', 'info', { write: (s: string) => lines.push(JSON.parse(s)) });
  const written: Record<string, unknown>[] = [];
  const seen: string[] = [];
  const status = () => ({
    ...traceSummary(r.edges(), r.nodeEntries(), { outputMode: 'Status' }),
    nodes: r.nodeEntries(),
  });
  const state = new ClusterState();
  const r = new TraceRun(
    'gadget/t',
    { outputMode: 'Status' },
    { groupBy: 'pod', ips: [] },
    '2026-12-07T10:00:00.000Z',
    {
      edgeLog: log,
      log,
      sessions,
      enrich: (e) => ({ ...e, remoteKind: 'svc' }),
      view: (p) => new GroupView(p, state),
      writeStatus: async () => {
        written.push({
          ...status(),
          totalsLogged: lines.filter((l) => l.msg === 'edge total').length,
        });
      },
      flushMs: 5,
      observers: [
        {
          started: (t) => seen.push(`started ${t}`),
          edge: (_t, node, e, before) =>
            seen.push(`${node} ${e.port} ${e.connections}${before ? ' seen' : ''}`),
          named: (_t, node, e) => seen.push(`${node} ${e.port} named ${e.remoteName}`),
          ended: (t, how) => seen.push(`${how} ${t}`),
        },
      ],
    },
  );
  let seq = 0;
  /** An agent's frame: a new edge gets a new `first`, an update keeps its own. */
  const send = (node: string, e: Edge, epoch = 'e1', first = seq + 1) => {
    seq++;
    cursors.set(node, { epoch, after: seq });
    events.get(node)?.onEdge(node, e, epoch, first);
  };
  return { r, lines, written, seen, states, events, send, status };
}

describe('TraceRun', () => {
  it('logs and counts each edge once: a resent edge (a replay after a reconnect) only updates it', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    t.send('n1', edge(80));
    t.send('n1', edge(443));
    t.send('n1', edge(80)); // replayed
    t.send('n1', edge(80, 4)); // grown
    expect(t.lines.filter((l) => l.msg === 'edge').map((l) => l.port)).toEqual([80, 443]);
    const s = t.status();
    expect(s.edges).toBe(2);
    expect(JSON.parse(s.output as string)).toContainEqual(
      expect.objectContaining({ port: 80, connections: 4, remoteKind: 'svc' }),
    );
    // The observers see every update, enriched.
    expect(t.seen).toEqual(['started gadget/t', 'n1 80 1', 'n1 443 1', 'n1 80 1', 'n1 80 4']);
  });

  it('keeps what an agent counted before it restarted: the new epoch counts on top', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    t.send('n1', { ...edge(80, 5), bytesSent: 500, bytesReceived: 100 });
    // The agent restarted (a new epoch) and counts from zero again.
    t.send('n1', { ...edge(80, 2), bytesSent: 40, bytesReceived: 10 }, 'e2');
    t.send('n1', { ...edge(80, 3), bytesSent: 60, bytesReceived: 20 }, 'e2');
    const [e] = JSON.parse(t.status().output as string);
    expect(e).toMatchObject({
      connections: 8,
      bytesSent: 560,
      bytesReceived: 120,
      bytesTotal: 680,
    });
    expect(t.lines.filter((l) => l.msg === 'edge')).toHaveLength(1);
  });

  it('shows a refusing agent as Failed, and a failing link too until it recovers', async () => {
    const t = run(new Set(['n2']));
    await t.r.attach('n2', AGENT);
    expect(t.r.nodes.get('n2')).toEqual({
      state: 'Failed',
      reason: 'agent on n2 answered 503 to PUT',
    });
    expect(t.r.hasNode('n2')).toBe(false); // the controller's next sync tries again

    await t.r.attach('n1', AGENT);
    t.events.get('n1')?.onError('n1', 'agent on n1 timed out');
    expect(t.status().operationWarning).toContain('node n1: agent on n1 timed out');
    t.events.get('n1')?.onStatus('n1', { pods: 3 });
    expect(t.r.nodes.get('n1')).toEqual({ state: 'Started', pods: 3 });
    expect(t.status().operationWarning).not.toContain('node n1');
    // Running, but not as asked: a warning, the node still Started.
    const fallback = 'TCX not attached for x (no host-side veth): socket filter used instead';
    t.events.get('n1')?.onStatus('n1', { pods: 3, warning: fallback });
    expect(t.r.nodes.get('n1')).toEqual({ state: 'Started', pods: 3, reason: fallback });
    expect(t.status().operationWarning).toContain(`node n1: ${fallback}`);
  });

  it('follows an agent that moved, and keeps the edges of one that went away', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    await t.r.attach('n1', { endpoint: 'https://n1:9999', cert: 'NEW' });
    expect(t.states.get('n1')).toBe('moved');
    t.send('n1', edge(80));
    t.r.detach('n1', 'AgentMissing', 'no live netgraph agent on node n1');
    expect(t.states.get('n1')).toBe('closed');
    expect(t.status()).toMatchObject({ edges: 1, nodes: { n1: { state: 'AgentMissing' } } });
  });

  it('stops every agent, logs each edge total and writes the final status', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    t.send('n1', edge(80, 2));
    await t.r.stop();
    expect(t.states.get('n1')).toBe('stopped');
    expect(t.lines.filter((l) => l.msg === 'edge total')).toMatchObject([
      { port: 80, connections: 2 },
    ]);
    expect(t.written.at(-1)).toMatchObject({ edges: 1, nodes: { n1: { state: 'Stopped' } } });
    expect(t.seen.at(-1)).toBe('stopped gadget/t');
    // Late frames from a stopping agent change nothing.
    t.events.get('n1')?.onError('n1', 'connection reset');
    expect(t.r.nodes.get('n1')?.state).toBe('Stopped');
  });

  it("writes a node's Stopped only once every total is logged, a write due meanwhile or not", async () => {
    const t = run(new Set(), new Set(['n2']));
    await t.r.attach('n1', AGENT);
    await t.r.attach('n2', AGENT);
    t.send('n1', edge(80));
    t.send('n2', edge(443)); // a status write is now due in 5 ms
    await t.r.stop();
    const stopped = t.written.filter((w) =>
      Object.values(w.nodes as Record<string, { state: string }>).some(
        (n) => n.state === 'Stopped',
      ),
    );
    expect(stopped.length).toBeGreaterThan(0);
    for (const w of stopped) expect(w.totalsLogged).toBe(2);
  });

  it('hands a node over with where its stream stood; the new holder logs only what came after', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    t.send('n1', edge(80)); // first 1
    t.send('n1', edge(443)); // first 2
    t.r.release(['n1']);
    expect(t.states.get('n1')).toBe('closed'); // the agent keeps the trace
    expect(t.r.hasNode('n1')).toBe(false);
    expect(t.r.handedOver.get('n1')).toEqual({
      state: 'Started',
      pods: 0,
      cursor: { epoch: 'e1', after: 2 },
    });
    // Its edges are the next holder's to show and total.
    expect(t.r.edges()).toEqual([]);
    await t.r.stop();
    expect(t.lines.filter((l) => l.msg === 'edge total')).toEqual([]);

    // The next holder replays the agent's table from the start, knowing the cursor.
    const next = run();
    await next.r.attach('n1', AGENT, { epoch: 'e1', after: 2 });
    next.send('n1', edge(80, 3), 'e1', 1); // grew since: seen before
    next.send('n1', edge(443), 'e1', 2);
    next.send('n1', edge(8080), 'e1', 5); // new after the handover
    expect(next.lines.filter((l) => l.msg === 'edge').map((l) => l.port)).toEqual([8080]);
    // Observers count from the counters the previous holder had reached.
    expect(next.seen).toEqual(['started gadget/t', 'n1 80 3 seen', 'n1 443 1 seen', 'n1 8080 1']);
    expect(next.status().edges).toBe(3);
  });

  it('takes nothing as seen from a cursor of another agent epoch', async () => {
    const t = run();
    await t.r.attach('n1', AGENT, { epoch: 'old', after: 10 });
    t.send('n1', edge(80), 'e1', 1);
    expect(t.lines.filter((l) => l.msg === 'edge')).toHaveLength(1);
  });

  it('logs an edge again, as "edge named", when the pod resolves its address later', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    const out = { ...edge(443), ip: '203.0.113.7', remoteKind: 'other' as const };
    t.send('n1', out);
    t.send(
      'n1',
      { ...out, connections: 2, remoteName: 'api.example.com', remoteNameSource: 'dns' },
      'e1',
      1,
    );
    t.send(
      'n1',
      { ...out, connections: 3, remoteName: 'api.example.com', remoteNameSource: 'dns' },
      'e1',
      1,
    );
    expect(t.lines.filter((l) => l.msg === 'edge').map((l) => l.remoteName)).toEqual([undefined]);
    expect(t.lines.filter((l) => l.msg === 'edge named')).toMatchObject([
      { port: 443, remoteName: 'api.example.com', remoteNameSource: 'dns' },
    ]);
    // Observers are told once, before the update that brought the name.
    expect(t.seen.slice(1)).toEqual([
      'n1 443 1',
      'n1 443 named api.example.com',
      'n1 443 2',
      'n1 443 3',
    ]);
  });

  it('takes a node it let go back from where it read, if the status says less', async () => {
    const t = run();
    await t.r.attach('n1', AGENT);
    t.send('n1', edge(80)); // first 1
    t.send('n1', edge(443)); // first 2
    t.r.release(['n1']); // its status write failed: the status still says after 1
    await t.r.attach('n1', AGENT, { epoch: 'e1', after: 1 });
    t.send('n1', edge(80), 'e1', 1);
    t.send('n1', edge(443), 'e1', 2);
    expect(t.lines.filter((l) => l.msg === 'edge').map((l) => l.port)).toEqual([80, 443]);
  });
});
