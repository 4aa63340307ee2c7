// Reads across two operator replicas on the test bed: real apiserver, real agents, real
// eBPF and packets, each replica following one of two nodes and serving the same
// certificate, as the chart's replicas do. What a user checks: the graph API of either
// replica draws both nodes' edges, counted once, and says both replicas answered;
// `kubectl netgraph observe` pointed at one replica prints every node's edge once; a
// replica SIGKILLed makes the other's answers partial, naming it, until the ring drops it
// and the survivor holds both nodes.
import { type ChildProcess, spawn } from 'node:child_process';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgesStreamLine } from '../../api/edges-stream.js';
import type { GraphAnswer } from '../../api/graph.js';
import { ownerOf } from '../../operator/ring/rendezvous.js';
import { OperatorPort } from './operator-port.js';
import { connect, type Pair, podName, type ReplicaSet, startReplicaSet } from './replica-set.js';
import { kubeconfigPath, kubectl, repoRoot, waitFor } from './testbed.js';

const NS = 'fan-in';
const NODES = ['fan-in-node-1', 'fan-in-node-2'];
// Two ids the ring gives one node each (rendezvous hashing is the ring's own rule).
const REPLICAS = (() => {
  for (let i = 0; ; i++) {
    const ids = [`fan-a${i}`, `fan-b${i}`];
    if (ownerOf(`node/${NODES[0]}`, ids) !== ownerOf(`node/${NODES[1]}`, ids)) return ids;
  }
})();
const KEY = `${NS}/shared`;

let set: ReplicaSet;
const ports = new Map<string, OperatorPort>();
const children: ChildProcess[] = [];
let pairs: Pair[] = [];
const followers = () => set.followers(KEY);

const edgeId = (p: Pair) => `${NS}/pod/${podName(p.client)}->${NS}/pod/${podName(p.server)}`;

/** A replica's graph of the last 5 minutes: every replica's nodes, or with `scope=local` its own. */
const graphOf = async (id: string, scope = ''): Promise<GraphAnswer> => {
  const a = await (ports.get(id) as OperatorPort).get(
    `/api/v1/traces/${KEY}/graph?start=-5m${scope}`,
  );
  expect(a.status, a.text).toBe(200);
  return JSON.parse(a.text) as GraphAnswer;
};

beforeAll(async () => {
  set = await startReplicaSet({ namespace: NS, nodes: NODES, replicas: REPLICAS });
  pairs = set.pairs;
  for (const [id, op] of set.operators) ports.set(id, await OperatorPort.of(op));
}, 240_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGINT');
  await kubectl(['delete', 'trace', '-n', NS, 'shared', '--timeout=30s']).catch(() => {});
  await set?.stop();
});

describe('two operator replicas, a node each', () => {
  it("either replica's graph has both nodes' edges, counted once, from both replicas", async () => {
    await set.startTrace((t) => NODES.every((n) => t.status?.nodes?.[n]?.state === 'Started'));
    // Each node followed by its own replica, as the agents' logs say.
    const open = await waitFor(
      () => {
        const f = followers();
        return [...f.values()].every((r) => r.length === 1) ? f : undefined;
      },
      { what: 'one replica following each node', timeoutMs: 20_000 },
    );
    expect(new Set([...open.values()].flat())).toEqual(new Set(REPLICAS));

    for (const p of pairs) await connect(p, 3);
    for (const id of REPLICAS) {
      const g = await waitFor(
        async () => {
          const g = await graphOf(id);
          return pairs.every((p) => g.edges.some((e) => e.id === edgeId(p) && e.connections === 3))
            ? g
            : undefined;
        },
        { what: `both nodes' edges in ${id}'s graph`, timeoutMs: 30_000 },
      );
      // Each connection once: as the node's own replica counts it (the client's side,
      // though the server's was seen too), whichever replica is asked.
      for (const p of pairs) {
        const owner = open.get(p.node)?.[0] as string;
        const own = (await graphOf(owner, '&scope=local')).edges.find((e) => e.id === edgeId(p));
        expect(own).toMatchObject({ connections: 3 });
        expect(own?.bytesSent).toBeGreaterThanOrEqual(300);
        expect(g.edges.find((e) => e.id === edgeId(p))).toEqual(own);
      }
      expect([...g.answered].sort()).toEqual([...REPLICAS].sort());
      expect(g.answered[0]).toBe(id);
      expect(g.missing).toEqual([]);
      expect(g.partial).toBeUndefined();
    }
  });

  it('kubectl netgraph observe pointed at one replica prints every node’s edge once', async () => {
    const first = REPLICAS[0] as string;
    const obs = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin/kubectl-netgraph.js'),
        'observe',
        'shared',
        '-n',
        NS,
        '-o',
        'json',
        '--operator',
        (ports.get(first) as OperatorPort).base,
        '--operator-ca',
        set.caFile,
      ],
      { env: { ...process.env, KUBECONFIG: kubeconfigPath() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(obs);
    let out = '';
    let err = '';
    obs.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    obs.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const edges = () =>
      out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { node: string; pod: string; pktType: string });
    await waitFor(
      () =>
        NODES.every((n) => edges().some((e) => e.node === n && e.pktType === 'OUTGOING')) ||
        undefined,
      { what: `both nodes' edges from observe (${err})`, timeoutMs: 30_000 },
    );
    // The replay of both replicas is over well before this: nothing comes twice.
    await new Promise((r) => setTimeout(r, 2000));
    const keys = edges().map((e) => JSON.stringify(e));
    const ids = edges().map((e) => `${e.node}/${e.pod}/${e.pktType}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(keys.length).toBeGreaterThanOrEqual(2 * NODES.length);
    expect(err).not.toMatch(/partial/);
    obs.kill('SIGINT');
  });

  it("a SIGKILLed replica's part is missing, said so, until the survivor holds its node", async () => {
    const [survivor, victim] = REPLICAS as [string, string];
    // The edge stream of the survivor, open across the kill.
    const port = ports.get(survivor) as OperatorPort;
    const lines: EdgesStreamLine[] = [];
    const stream = https.get(
      `${port.base}/api/v1/traces/${KEY}/edges`,
      port.tlsOptions('admin'),
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            if (i > 0) lines.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        });
      },
    );
    stream.on('error', () => {});
    await waitFor(() => lines.length > 0 || undefined, { what: 'the stream', timeoutMs: 10_000 });
    expect(lines[0]).toEqual({ coverage: { answered: REPLICAS, missing: [] } });

    await set.operators.get(victim)?.stop('SIGKILL');
    const killedAt = Date.now();
    const partial = await graphOf(survivor);
    expect(partial).toMatchObject({ answered: [survivor], missing: [victim], partial: true });
    const own = pairs.find((p) => followers().get(p.node)?.[0] === survivor);
    expect(partial.edges.map((e) => e.id)).toContain(edgeId(own as Pair));
    await waitFor(
      () => lines.some((l) => 'coverage' in l && l.coverage.missing.includes(victim)) || undefined,
      { what: 'the stream saying the replica is missing', timeoutMs: 10_000 },
    );

    // The victim's Lease expires, the survivor takes its node: whole again, from one replica.
    const whole = await waitFor(
      async () => {
        const g = await graphOf(survivor);
        return g.partial === undefined &&
          pairs.every((p) => g.edges.some((e) => e.id === edgeId(p)))
          ? g
          : undefined;
      },
      { what: 'the survivor answering alone for both nodes', timeoutMs: 45_000 },
    );
    process.stderr.write(`[fan-in] whole again ${Date.now() - killedAt} ms after the kill\n`);
    expect(whole).toMatchObject({ answered: [survivor], missing: [] });
    stream.destroy();
  });
});
