// The generate operation's I/O-free parts with a fake API: where the YAML goes
// (status.output or a ConfigMap), the errors a user reads, the edges kept per trace,
// and the cluster facts read from real object shapes.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Edge } from '../../api/edge.js';
import type { Trace } from '../../api/trace.js';
import { KubeError } from '../../lib/kube.js';
import { ClusterState } from '../enrich/cluster-state.js';
import { PolicyAdvisor } from './advisor.js';
import { PolicyFacts } from './cluster-facts.js';
import { TraceEdges } from './trace-edges.js';

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
      async mergePatch<T>(path: string, body: unknown): Promise<T> {
        calls.push({ method: 'PATCH', path, body });
        if (!objects.has(path)) throw new KubeError(404, 'NotFound', `PATCH ${path}: not found`);
        objects.set(path, body);
        return body as T;
      },
      async request<T>(method: string, path: string, body?: unknown): Promise<T> {
        calls.push({ method, path, body });
        const name = (body as { metadata: { name: string } }).metadata.name;
        objects.set(`${path}/${name}`, body);
        return body as T;
      },
    } as never,
  };
}

const noFacts = new PolicyFacts({
  pod: () => undefined,
  ownerOf: () => undefined,
  allNodes: () => [],
});

function setup(n: number) {
  const edges = new TraceEdges();
  edges.started('gadget/np');
  for (let i = 0; i < n; i++) edges.edge('gadget/np', 'node1', edge(i));
  const f = fakeKube();
  return { edges, f, advisor: new PolicyAdvisor(f.kube, edges, noFacts) };
}

describe('PolicyAdvisor', () => {
  it('puts small YAML in status.output, ready for kubectl apply', async () => {
    const { advisor, f, edges } = setup(2);
    const s = await advisor.generate(trace(), false);
    expect(s.operationError).toBeNull();
    expect(s.policies).toBe(2);
    const docs = parseAllDocuments(s.output as string).filter((d) => d.contents !== null);
    expect(docs.map((d) => d.toJS().kind)).toEqual(['NetworkPolicy', 'NetworkPolicy']);
    expect(f.calls).toEqual([]);
    expect(edges.advice('gadget/np')).toBe(s.output);
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
    expect(f.calls.map((c) => c.method)).toEqual(['PATCH', 'POST', 'PATCH']);
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
    const edges = new TraceEdges();
    const advisor = new PolicyAdvisor(fakeKube().kube, edges, noFacts);
    expect((await advisor.generate(trace(), false)).operationError).toMatch(/start the trace/);
    edges.started('gadget/np');
    expect((await advisor.generate(trace(), false)).operationError).toMatch(/seen no traffic/);
    edges.edge('gadget/np', 'n', edge(1));
    const bad = trace({ gadget: 'network-graph', parameters: { policyTypes: 'All' } });
    expect((await advisor.generate(bad, false)).operationError).toMatch(
      /^Invalid parameter policyTypes "All"/,
    );
  });
});

describe('TraceEdges', () => {
  it('keeps unique edges up to its bound, past the trace stopping, until deletion or a fresh start', () => {
    const t = new TraceEdges(3);
    t.started('a/t');
    for (let i = 0; i < 5; i++) t.edge('a/t', 'n', edge(i));
    t.edge('a/t', 'n', edge(0));
    t.edge('a/t', 'n', { type: 'warn', message: 'map full' });
    expect(t.get('a/t')?.edges.length).toBe(3);
    expect(t.get('a/t')?.dropped).toBe(2);
    t.ended('a/t', 'stopped');
    expect(t.get('a/t')?.edges.length).toBe(3);
    t.started('a/t');
    expect(t.get('a/t')?.edges.length).toBe(0);
    t.ended('a/t', 'deleted');
    expect(t.get('a/t')).toBeUndefined();
  });

  it('copies the fields it needs, not the object the run keeps updating', () => {
    const t = new TraceEdges();
    const e = { ...edge(1), bytesSent: 10, firstSeen: '2026-01-01T00:00:00Z' };
    t.edge('a/t', 'n', e);
    e.ip = '10.0.0.1';
    const kept = t.get('a/t')?.edges[0];
    expect(kept?.ip).toBe('203.0.0.1');
    expect(kept).not.toHaveProperty('bytesSent');
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
      allNodes: () => [],
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
