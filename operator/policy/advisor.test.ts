// The generate operation's I/O-free parts with a fake API: where the YAML goes
// (status.output or a ConfigMap), the errors a user reads, the edges read from the
// history (the one store of a trace's edges) and how long they stay, and the cluster
// facts read from real object shapes; and the operator's HTTP port answering while
// a generate runs (it runs in time slices).
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Edge } from '../../api/edge.js';
import type { Trace } from '../../api/trace.js';
import { HttpServer } from '../../lib/http-server.js';
import { type JsonPatchOp, KubeError } from '../../lib/kube.js';
import { logger } from '../../lib/log.js';
import { named, namedLater, OUTSIDE_IP, OUTSIDE_NAME, unnamed } from '../../test/named-later.js';
import { ClusterState } from '../enrich/cluster-state.js';
import { HistoryStore } from '../history/history.js';
import { PolicyAdvisor } from './advisor.js';
import { PolicyFacts } from './cluster-facts.js';

const trace = (spec: Trace['spec'] = { gadget: 'network-graph' }): Trace => ({
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: { name: 'np', namespace: 'gadget', uid: 'u1' },
  spec,
  status: { state: 'Stopped' },
});

const edge = (i: number): Edge => ({
  type: 'normal',
  namespace: 'demo',
  pod: `client-${i}`,
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: `203.0.${Math.floor(i / 250)}.${i % 250}`,
  port: 443,
  remoteKind: 'other',
  // Each pod its own workload, so the YAML grows with the edges.
  podLabels: { app: `client-${i}` },
});

function fakeKube() {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const objects = new Map<string, unknown>();
  return {
    calls,
    objects,
    kube: {
      async request<T>(method: string, path: string, body?: unknown): Promise<T> {
        calls.push({ method, path, body });
        const name = (body as { metadata: { name: string } }).metadata.name;
        if (objects.has(`${path}/${name}`))
          throw new KubeError(409, 'AlreadyExists', `POST ${path}: exists`);
        objects.set(`${path}/${name}`, body);
        return body as T;
      },
      // As the API server: every `test` must hold, else 422 and nothing is written.
      async jsonPatch<T>(path: string, ops: JsonPatchOp[]): Promise<T> {
        calls.push({ method: 'PATCH', path, body: ops });
        const o = objects.get(path) as {
          metadata: { labels?: Record<string, string>; ownerReferences?: { uid: string }[] };
          data?: unknown;
        };
        const at = (p: string) =>
          p === '/metadata/labels/app.kubernetes.io~1managed-by'
            ? o.metadata.labels?.['app.kubernetes.io/managed-by']
            : o.metadata.ownerReferences?.[0]?.uid;
        for (const op of ops)
          if (op.op === 'test' && at(op.path) !== op.value)
            throw new KubeError(422, 'Invalid', `PATCH ${path}: test failed`);
        const data = ops.find((op) => op.op === 'add');
        objects.set(path, { ...o, data: data && 'value' in data ? data.value : o.data });
        return objects.get(path) as T;
      },
    } as never,
  };
}

const noFacts = new PolicyFacts({
  pod: () => undefined,
  ownerOf: () => undefined,
  nodeWithPodRange: () => undefined,
});

const params = { groupBy: 'pod' as const, ips: [] };
const history = (keepStopped = 10) =>
  new HistoryStore({ keepStopped, groupNames: () => ({ group: '', remoteGroup: '' }) });

function setup(n: number, maxEdges?: number) {
  const edges = history();
  edges.started('gadget/np', {}, params);
  for (let i = 0; i < n; i++) edges.edge('gadget/np', 'node1', edge(i));
  const f = fakeKube();
  return { edges, f, advisor: new PolicyAdvisor(f.kube, edges, noFacts, maxEdges) };
}

describe('PolicyAdvisor', () => {
  it('puts small YAML in status.output, ready for kubectl apply', async () => {
    const { advisor, f } = setup(2);
    const s = await advisor.generate(trace(), false);
    expect(s.operationError).toBeNull();
    expect(s.policies).toBe(2);
    const docs = parseAllDocuments(s.output as string).filter((d) => d.contents !== null);
    expect(docs.map((d) => d.toJS().kind)).toEqual(['NetworkPolicy', 'NetworkPolicy']);
    expect(f.calls).toEqual([]);
    expect(advisor.advice('gadget/np')).toBe(s.output);
  });

  it('names an outside address its pod looked up after the first sighting', async () => {
    const edges = history();
    const advisor = new PolicyAdvisor(fakeKube().kube, edges, noFacts);
    const { send } = await namedLater([edges], 'gadget/np');
    const advice = async (policyKind = 'networkpolicy') =>
      (
        await advisor.generate(
          trace({ gadget: 'network-graph', parameters: { policyKind } }),
          false,
        )
      ).output as string;
    send(unnamed());
    expect(await advice()).toContain(`cidr: ${OUTSIDE_IP}/32\n`);
    send(named());
    expect(await advice()).toContain(`cidr: ${OUTSIDE_IP}/32 # ${OUTSIDE_NAME}\n`);
    expect(await advice('cilium')).toContain(`matchName: ${OUTSIDE_NAME}`);
  });

  it('puts YAML over 256 KiB in a ConfigMap owned by the Trace, named in status.output', async () => {
    const { advisor, f } = setup(1500);
    const s = await advisor.generate(trace(), false);
    expect(s.output).toBe('ConfigMap gadget/np-networkpolicies, key networkpolicies.yaml');
    const cm = f.objects.get('/api/v1/namespaces/gadget/configmaps/np-networkpolicies') as {
      metadata: { ownerReferences: { uid: string }[] };
      data: Record<string, string>;
    };
    expect(cm.metadata.ownerReferences[0]?.uid).toBe('u1');
    expect(Buffer.byteLength(cm.data['networkpolicies.yaml'] ?? '')).toBeGreaterThan(256 * 1024);
    // A second generate updates the same ConfigMap.
    await advisor.generate(trace(), false);
    expect(f.calls.map((c) => c.method)).toEqual(['POST', 'POST', 'PATCH']);
  });

  it("never overwrites a ConfigMap of that name that is not netgraph's", async () => {
    const { advisor, f } = setup(1500);
    const path = '/api/v1/namespaces/gadget/configmaps/np-networkpolicies';
    const theirs = { metadata: { name: 'np-networkpolicies' }, data: { mine: 'yes' } };
    f.objects.set(path, theirs);
    const s = await advisor.generate(trace(), false);
    expect(s.operationError).toBe(
      "ConfigMap gadget/np-networkpolicies exists and is not netgraph's (no app.kubernetes.io/managed-by=netgraph label or no owner reference to Trace np): not overwritten",
    );
    expect(f.objects.get(path)).toBe(theirs);
    expect(f.calls.map((c) => c.method)).toEqual(['POST', 'PATCH']);
  });

  it('leaves status.output to a running Status-mode trace and says where the YAML is', async () => {
    const { advisor } = setup(1);
    const s = await advisor.generate(
      trace({ gadget: 'network-graph', outputMode: 'Status' }),
      true,
    );
    expect(s.output).toBeUndefined();
    expect(s.operationWarning).toMatch(
      /^the NetworkPolicies are in ConfigMap gadget\/np-networkpolicies/,
    );
  });

  it('explains when there is nothing to generate from, or a parameter is bad', async () => {
    const edges = history();
    const advisor = new PolicyAdvisor(fakeKube().kube, edges, noFacts);
    expect((await advisor.generate(trace(), false)).operationError).toMatch(
      /start the trace \(.* for the 10 most recently stopped traces\)/,
    );
    edges.started('gadget/np', {}, params);
    expect((await advisor.generate(trace(), false)).operationError).toMatch(/seen no traffic/);
    edges.edge('gadget/np', 'n', edge(1));
    const bad = trace({ gadget: 'network-graph', parameters: { policyTypes: 'All' } });
    expect((await advisor.generate(bad, false)).operationError).toMatch(
      /^Invalid parameter policyTypes "All"/,
    );
  });

  it('reads each unique edge once, the first ones up to its bound, and says how many were left out', async () => {
    const { advisor, edges } = setup(5, 3);
    // The same pod's edge from a second node, and an agent's warning: neither is a new edge.
    edges.edge('gadget/np', 'node2', edge(0));
    edges.edge('gadget/np', 'node1', { type: 'warn', message: 'edge map full' });
    const s = await advisor.generate(trace(), false);
    expect(s.policies).toBe(3);
    expect(s.output).toMatch(/3 policies from 3 unique edges/);
    expect(s.operationWarning).toBe('2 unique edges beyond the 3 kept were not used');
  });

  it("answers the operator's /healthz while it generates from 5,000 edges", async () => {
    const { advisor } = setup(5_000);
    const http = new HttpServer(logger('test', 'silent'));
    const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
    try {
      const order: string[] = [];
      const generating = advisor.generate(trace(), false).then(() => order.push('generated'));
      const probe = fetch(`http://127.0.0.1:${port}/healthz`).then((r) => {
        order.push(`healthz ${r.status}`);
      });
      await Promise.all([generating, probe]);
      // Generated at once, the probe could only be answered after it.
      expect(order).toEqual(['healthz 200', 'generated']);
    } finally {
      await http.close();
    }
  });
});

describe('the history as the store policy advice reads', () => {
  it('advises on a stopped trace until its Trace is deleted; a fresh start forgets the old edges and YAML', async () => {
    const { advisor, edges } = setup(2);
    edges.ended('gadget/np', 'stopped');
    const s = await advisor.generate(trace(), false);
    expect(s.policies).toBe(2);
    expect(advisor.advice('gadget/np')).toBe(s.output);
    // The graph page reads the same trace from the same store.
    expect(edges.get('gadget/np')?.records).toHaveLength(2);

    edges.started('gadget/np', {}, params);
    expect(advisor.advice('gadget/np')).toBeUndefined();
    expect((await advisor.generate(trace(), false)).operationError).toMatch(/seen no traffic/);
    edges.edge('gadget/np', 'node1', edge(7));
    expect((await advisor.generate(trace(), false)).policies).toBe(1);

    edges.ended('gadget/np', 'deleted');
    expect(advisor.advice('gadget/np')).toBeUndefined();
    expect((await advisor.generate(trace(), false)).operationError).toMatch(/start the trace/);
  });

  it('keeps the most recently stopped traces for advice and the graph alike, the oldest dropped first', async () => {
    const edges = history(2);
    const advisor = new PolicyAdvisor(fakeKube().kube, edges, noFacts);
    const named = (name: string): Trace => ({
      ...trace(),
      metadata: { ...trace().metadata, name },
    });
    for (const name of ['a', 'b', 'c']) {
      edges.started(`gadget/${name}`, {}, params);
      edges.edge(`gadget/${name}`, 'node1', edge(1));
      edges.ended(`gadget/${name}`, 'stopped');
      expect((await advisor.generate(named(name), false)).policies).toBe(1);
      expect(advisor.advice(`gadget/${name}`)).toBeDefined();
    }
    // A running trace is never dropped for stopped ones.
    edges.started('gadget/running', {}, params);
    edges.edge('gadget/running', 'node1', edge(2));
    edges.started('gadget/d', {}, params);
    edges.ended('gadget/d', 'stopped');
    expect(edges.list().map((h) => h.key)).toEqual(['gadget/c', 'gadget/running', 'gadget/d']);
    for (const gone of ['a', 'b']) {
      expect(advisor.advice(`gadget/${gone}`)).toBeUndefined();
      expect((await advisor.generate(named(gone), false)).operationError).toMatch(
        /start the trace \(.* for the 2 most recently stopped traces\)/,
      );
    }
    expect((await advisor.generate(named('running'), true)).policies).toBe(1);
    expect((await advisor.generate(named('c'), false)).policies).toBe(1);
  });
});

describe('PolicyFacts', () => {
  it("names the node whose spec.podCIDRs holds an address (the enrichment state's Nodes)", () => {
    const state = new ClusterState();
    state.reset('Node', [
      {
        metadata: { name: 'real' },
        spec: { podCIDR: '10.244.192.0/24', podCIDRs: ['10.244.192.0/24', 'fd00:10:244:c0::/64'] },
        status: { addresses: [{ type: 'InternalIP', address: '10.250.0.1' }] },
      },
      { metadata: { name: 'old' }, spec: { podCIDR: '10.244.7.0/24' } },
    ]);
    const f = new PolicyFacts(state);
    expect(f.nodeWithPodRange('10.244.192.1')).toBe('real');
    expect(f.nodeWithPodRange('fd00:10:244:c0::1')).toBe('real');
    expect(f.nodeWithPodRange('10.244.7.1')).toBe('old');
    expect(f.nodeWithPodRange('10.250.0.1')).toBeUndefined();
  });

  it('reads selectors, Service ports and ready EndpointSlice endpoints from API objects', () => {
    const f = new PolicyFacts({
      pod: () => undefined,
      ownerOf: () => undefined,
      nodeWithPodRange: () => undefined,
    });
    f.reset('Deployment', [
      {
        metadata: { namespace: 'demo', name: 'web' },
        spec: { selector: { matchLabels: { app: 'web' } } },
      } as never,
    ]);
    f.apply('Service', 'ADDED', {
      metadata: { namespace: 'demo', name: 'web' },
      spec: {
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      },
    } as never);
    f.apply('EndpointSlice', 'ADDED', {
      metadata: {
        namespace: 'demo',
        name: 'web-abc',
        labels: { 'kubernetes.io/service-name': 'web' },
      },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.0.5'], conditions: { ready: true } },
        { addresses: ['10.244.0.6'], conditions: { ready: false } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as never);
    expect(f.selectorOf('Deployment', 'demo', 'web')).toEqual({ matchLabels: { app: 'web' } });
    expect(f.service('demo', 'web')).toEqual({
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }],
    });
    expect(f.endpointSlices('demo', 'web')).toEqual([
      {
        addressType: 'IPv4',
        addresses: ['10.244.0.5'],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    f.apply('EndpointSlice', 'DELETED', {
      metadata: {
        namespace: 'demo',
        name: 'web-abc',
        labels: { 'kubernetes.io/service-name': 'web' },
      },
    } as never);
    expect(f.endpointSlices('demo', 'web')).toEqual([]);
    f.reset('Deployment', []);
    expect(f.selectorOf('Deployment', 'demo', 'web')).toBeUndefined();
  });
});
