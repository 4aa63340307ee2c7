// Three operator replicas sharing four nodes on the test bed: real apiserver, real
// agents, real eBPF and packets. What a user checks: every node followed by exactly one
// replica (the agents' own logs say which), each edge logged once across the replicas'
// logs, and a replica SIGKILLed: its nodes taken over within 30 s, no edge lost or twice,
// counters exact against the connections made.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followersOf } from './agent-streams.js';
import { connect, podName, type ReplicaSet, startReplicaSet } from './replica-set.js';
import { kubectl, waitFor } from './testbed.js';
import { getTrace, operate, waitTrace } from './traces.js';

const NS = 'replicas';
const NODES = ['replicas-node-1', 'replicas-node-2', 'replicas-node-3', 'replicas-node-4'];
const REPLICAS = ['replica-a', 'replica-b', 'replica-c'];
const KEY = `${NS}/shared`;

let set: ReplicaSet;
const followers = () => set.followers(KEY);

/** The client edges logged as new, by replica. */
const clientEdges = () =>
  [...set.operators].flatMap(([id, op]) =>
    op.lines
      .filter((l) => l.msg === 'edge' && l.trace === KEY && l.pktType === 'OUTGOING')
      .map((l) => ({ id, pod: l.pod as string, ip: l.ip as string })),
  );

beforeAll(async () => {
  set = await startReplicaSet({ namespace: NS, nodes: NODES, replicas: REPLICAS });
}, 240_000);

afterAll(async () => {
  await kubectl(['delete', 'trace', '-n', NS, 'shared', '--timeout=30s']).catch(() => {});
  await set?.stop();
});

describe('three operator replicas sharing four nodes', () => {
  it('follow each node from one replica and log each edge once', async () => {
    await set.startTrace((t) =>
      NODES.every(
        (n) => t.status?.nodes?.[n]?.state === 'Started' && t.status.nodes[n]?.pods === 2,
      ),
    );
    // Each node's agent streams to exactly one replica, and the three share the nodes.
    const open = await waitFor(
      async () => {
        const f = followers();
        return [...f.values()].every((r) => r.length === 1) ? f : undefined;
      },
      { what: 'one replica following each node', timeoutMs: 20_000 },
    );
    expect(new Set([...open.values()].flat()).size).toBeGreaterThan(1);

    for (const p of set.pairs) await connect(p, 3);
    const all = await waitFor(
      async () => {
        const e = clientEdges();
        return set.pairs.every((p) =>
          e.some((x) => x.pod === podName(p.client) && x.ip === p.server.ip),
        )
          ? e
          : undefined;
      },
      { what: 'every client edge logged', timeoutMs: 20_000 },
    );
    // The Trace's leader sums every replica's nodes into status.edges: each edge once.
    const logged = () =>
      [...set.operators.values()].flatMap((op) =>
        op.lines.filter((l) => l.msg === 'edge' && l.trace === KEY),
      ).length;
    // (Written again every 10 s from the peers' answers, themselves at most 10 s old.)
    await waitFor(
      async () => ((await getTrace(NS, 'shared')).status?.edges === logged() ? true : undefined),
      { what: 'status.edges counting every replica', timeoutMs: 30_000 },
    );
    for (const p of set.pairs) {
      const lines = all.filter((x) => x.pod === podName(p.client) && x.ip === p.server.ip);
      // Once, by the replica the node's agent streams to.
      expect(lines.map((x) => x.id)).toEqual(open.get(p.node));
    }
  });

  it("hands a SIGKILLed replica's nodes over within 30 s, no edge lost or twice", async () => {
    const before = followers();
    // The replica following the most nodes goes.
    const count = (id: string) => [...before.values()].filter((r) => r[0] === id).length;
    const victim = [...REPLICAS].sort((a, b) => count(b) - count(a))[0] as string;
    const itsNodes = NODES.filter((n) => before.get(n)?.[0] === victim);
    expect(itsNodes.length).toBeGreaterThan(0);
    // Its status entries carry where each stream stood (written every second).
    await sleep(2000);
    const killedAt = Date.now();
    await set.operators.get(victim)?.stop('SIGKILL');

    // Traffic while its nodes have no replica: their agents hold the edges.
    for (const p of set.pairs) await connect(p, 2);
    const taken = await waitFor(
      async () => {
        const f = followers();
        const ok = itsNodes.every((n) => {
          const r = f.get(n) ?? [];
          return r.length === 1 && r[0] !== victim;
        });
        return ok ? f : undefined;
      },
      { what: `the nodes of ${victim} followed by another replica`, timeoutMs: 40_000 },
    );
    const tookMs = Date.now() - killedAt;
    process.stderr.write(`[replicas] ${itsNodes.length} nodes taken over in ${tookMs} ms\n`);
    expect(tookMs).toBeLessThan(30_000);
    for (const n of NODES) expect(taken.get(n)).toHaveLength(1);

    // Stopped: every replica logs its nodes' totals; each client edge's total is exact.
    await operate(NS, 'shared', 'stop', (t) => t.status?.state === 'Stopped');
    await waitTrace(NS, 'shared', (t) =>
      NODES.every((n) => t.status?.nodes?.[n]?.state === 'Stopped'),
    );
    const totals = [...set.operators.values()].flatMap((op) =>
      op.lines.filter((l) => l.msg === 'edge total' && l.trace === KEY && l.pktType === 'OUTGOING'),
    );
    // Every pair made the same five connections: the same totals, whether its node
    // was handed over (its counts carried by two replicas in turn) or not.
    const bytes = new Set<unknown>();
    for (const p of set.pairs) {
      const t = totals.filter((l) => l.pod === podName(p.client) && l.ip === p.server.ip);
      expect(t).toHaveLength(1);
      expect(t[0]?.connections).toBe(5);
      bytes.add(t[0]?.bytesSent);
    }
    expect(bytes.size).toBe(1);
    // No node was ever followed by two replicas at once, by its agent's own log.
    for (const a of set.agents.agents) expect(followersOf(a.lines, KEY).twice).toBeUndefined();
    // Logged as new once in all, the dead replica's log included.
    const edges = clientEdges();
    for (const p of set.pairs)
      expect(edges.filter((x) => x.pod === podName(p.client) && x.ip === p.server.ip)).toHaveLength(
        1,
      );
  });
});
