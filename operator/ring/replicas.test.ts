import { afterEach, describe, expect, it } from 'vitest';
import { OPERATION_ANNOTATION, TRACES_PATH, type Trace } from '../../api/trace.js';
import { Informers } from '../../lib/informer.js';
import { logger } from '../../lib/log.js';
import {
  addAgent,
  edge,
  KEY,
  NODES,
  NS,
  node,
  replica,
  trace,
  until,
} from '../../test/fake-agents.js';
import { FakeKube } from '../../test/fake-kube.js';
import type { ControllerOptions } from '../trace/controller.js';
import { Ring, type RingOptions } from './ring.js';

// Two operator replicas on one apiserver in memory, each with its ring and controller:
// how they share the nodes of a trace and hand them over, as a user sees it in the
// Trace's status and in the replicas' logs.
const NODE_NAMES = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];

function member(
  kube: FakeKube,
  id: string,
  more: Partial<ControllerOptions> = {},
  ringOptions: Partial<RingOptions> = {},
) {
  const log = logger('ring', 'warn', { write: () => {} });
  const informers = new Informers(kube, log);
  const ring = new Ring({ kube, namespace: NS, informers, id, endpoint: '', log, ...ringOptions });
  const r = replica(kube, { ownership: ring, replicaId: id, ...more });
  return {
    ...r,
    ring,
    id,
    held: () => r.sessions.filter((s) => s.state === 'started').map((s) => s.node),
    async up() {
      informers.start();
      await ring.start(r.controller);
      await r.start();
    },
    async down() {
      await ring.stop();
      r.stop();
      informers.stop();
    },
  };
}

/** An apiserver in memory with every node Ready and its agent's Lease. */
function nodesWithAgents(): FakeKube {
  const kube = new FakeKube();
  for (const n of NODE_NAMES) {
    kube.put(NODES, node(n));
    addAgent(kube, n);
  }
  return kube;
}

/** Every test's replicas, taken down after it. */
const running: { down(): Promise<void> }[] = [];
afterEach(async () => {
  for (const m of running.splice(0)) await m.down().catch(() => {});
});

describe('operator replicas', () => {
  it("follow each node from exactly one replica, and hand a stopping one's nodes over", async () => {
    const kube = nodesWithAgents();
    const a = member(kube, 'a');
    const b = member(kube, 'b');
    running.push(a, b);
    await Promise.all([a.up(), b.up()]);
    kube.put(TRACES_PATH, trace({}, 'start'));
    const get = () => kube.object<Trace>(TRACES_PATH, KEY);
    const allStarted = () =>
      NODE_NAMES.every((n) => get()?.status?.nodes?.[n]?.state === 'Started');
    await until(allStarted);

    // Never two replicas on one node, checked while they share and while they hand over.
    let overlap = '';
    const watch = setInterval(() => {
      for (const n of a.held()) if (b.held().includes(n)) overlap = n;
    }, 2);
    try {
      expect([...a.held(), ...b.held()].sort()).toEqual(NODE_NAMES);
      expect(a.held().length).toBeGreaterThan(0);
      expect(b.held().length).toBeGreaterThan(0);

      // b's nodes send two edges each, logged by b.
      const fromB = b.held();
      for (const [i, n] of fromB.entries()) {
        const s = b.sessions.find((x) => x.node === n && x.state === 'started');
        s?.send(edge(1000 + i), 1);
        s?.send(edge(2000 + i), 2);
      }
      await until(() => fromB.every((n) => get()?.status?.nodes?.[n]?.cursor?.after === 2));

      // b stops: its nodes go to a, resumed where b's streams stood.
      await b.down();
      running.splice(running.indexOf(b), 1);
      await until(() => a.held().length === NODE_NAMES.length);
      for (const [i, n] of fromB.entries()) {
        const s = a.sessions.find((x) => x.node === n && x.state === 'started');
        // The agent replays its table from the start, then sends what is new.
        s?.send({ ...edge(1000 + i), connections: 3 }, 3, 1);
        s?.send(edge(2000 + i), 2);
        s?.send(edge(3000 + i), 4);
      }
      await until(() => NODE_NAMES.every((n) => get()?.status?.nodes?.[n]?.state === 'Started'));
    } finally {
      clearInterval(watch);
    }
    expect(overlap).toBe('');
    const logged = [...a.lines, ...b.lines]
      .filter((l) => l.msg === 'edge')
      .map((l) => l.port as number)
      .sort();
    const want = fromPorts(b.sessions.map((s) => s.node));
    expect(logged).toEqual(want);
    // One replica led the Trace: the operation was carried out once.
    expect([...a.lines, ...b.lines].filter((l) => l.msg === 'trace started')).toHaveLength(1);
  });
});

describe('a replica that cannot renew its Lease', () => {
  it('lets its nodes go at once, even behind a renewal that never answers', async () => {
    const kube = nodesWithAgents();
    // b's Lease renewals hang once told to (an apiserver too busy to answer), and its
    // clock can be moved on past the time it may act without one.
    let hang = false;
    const held: (() => void)[] = [];
    let ahead = 0;
    const hanging = new Proxy(kube, {
      get(target, p) {
        const v = Reflect.get(target, p);
        if (p === 'mergePatch')
          return (path: string, patch: unknown) =>
            hang
              ? new Promise((resolve, reject) =>
                  held.push(() => target.mergePatch(path, patch).then(resolve, reject)),
                )
              : target.mergePatch(path, patch);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const a = member(kube, 'a');
    const b = member(kube, 'b', {}, { kube: hanging, now: () => Date.now() + ahead });
    running.push(a, b);
    await Promise.all([a.up(), b.up()]);
    kube.put(TRACES_PATH, trace({}, 'start'));
    const get = () => kube.object<Trace>(TRACES_PATH, KEY);
    await until(() => NODE_NAMES.every((n) => get()?.status?.nodes?.[n]?.state === 'Started'));
    expect(b.held().length).toBeGreaterThan(0);

    // A third replica comes: b settles on the new view, and its renewal saying so hangs.
    hang = true;
    const c = member(kube, 'c');
    running.push(c);
    await c.up();
    await new Promise((r) => setTimeout(r, 200));
    // Past its renewal deadline: the others may take its nodes once its Lease expires.
    ahead = 11_000;
    await until(() => b.held().length === 0, 3000);
    // The apiserver answers at last (so b can shut down).
    hang = false;
    for (const answer of held.splice(0)) answer();
  });
});

describe('a stop with two replicas', () => {
  it("is done once both have stopped their nodes: every total logged, every node's last edges counted", async () => {
    const kube = nodesWithAgents();
    // The leader's summary asks its peer for its nodes' edges, as over HTTP.
    const members: ReturnType<typeof member>[] = [];
    const peerOf = (id: string) => members.find((m) => m.id !== id);
    for (const id of ['a', 'b'])
      members.push(
        member(kube, id, {
          gather: async (trace, _parameters, own) => [
            ...own(),
            ...(peerOf(id)?.controller.nodeEdges(trace) ?? []),
          ],
        }),
      );
    const [a, b] = members as [ReturnType<typeof member>, ReturnType<typeof member>];
    running.push(a, b);
    await Promise.all([a.up(), b.up()]);
    kube.put(TRACES_PATH, trace({}, 'start'));
    const get = () => kube.object<Trace>(TRACES_PATH, KEY);
    await until(() => NODE_NAMES.every((n) => get()?.status?.nodes?.[n]?.state === 'Started'));
    // An edge from each node while running, and one more each agent sends as it stops.
    for (const m of [a, b])
      for (const s of m.sessions.filter((x) => x.state === 'started')) {
        const i = NODE_NAMES.indexOf(s.node);
        s.send(edge(1000 + i), 1);
        s.stop = async () => {
          s.send(edge(2000 + i), 2);
          s.state = 'stopped';
        };
      }
    await until(() => get()?.status?.edges === NODE_NAMES.length, 15_000);

    const stopping = get() as Trace;
    stopping.metadata.annotations = { [OPERATION_ANNOTATION]: 'stop' };
    kube.put(TRACES_PATH, stopping);
    await until(() => get()?.status?.state === 'Stopped');
    await until(() => get()?.status?.pendingOperation === undefined, 15_000);
    // Done only now: both replicas' totals are in their logs, every node's entry Stopped.
    const totals = [...a.lines, ...b.lines].filter((l) => l.msg === 'edge total');
    expect(totals.map((l) => l.port as number).sort()).toEqual(
      NODE_NAMES.flatMap((_, i) => [1000 + i, 2000 + i]).sort(),
    );
    expect(NODE_NAMES.map((n) => get()?.status?.nodes?.[n]?.state)).toEqual(
      NODE_NAMES.map(() => 'Stopped'),
    );
    expect(get()?.status?.edges).toBe(2 * NODE_NAMES.length);
  });
});

/** Each edge of the nodes b held, once: the two b logged and the one sent after the handover. */
function fromPorts(nodes: string[]): number[] {
  const n = new Set(nodes).size;
  return Array.from({ length: n }, (_, i) => [1000 + i, 2000 + i, 3000 + i])
    .flat()
    .sort();
}
