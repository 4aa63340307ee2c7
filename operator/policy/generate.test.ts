// Golden tests of the NetworkPolicy generator: each case's edges and cluster facts
// give the policies (and warnings, as comment lines) in testdata/<case>.yaml.
// NETGRAPH_UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.
// Inspektor Gadget's own advisor case (its testdata/connect-to-svc) is reproduced
// with its golden output beside ours in testdata/ig-connect-to-svc.ig.yaml.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Edge, Labels } from '../../api/edge.js';
import { parsePolicyParameters } from '../../api/policy-parameters.js';
import { PodRanges } from '../enrich/pod-ranges.js';
import {
  type ClusterFacts,
  type EndpointSliceFacts,
  generatePolicies,
  type LabelSelector,
  type Owner,
  type ServiceFacts,
} from './generate.js';
import { policiesYaml } from './yaml.js';

const dir = new URL('./testdata/', import.meta.url);

interface Cluster {
  owners?: Record<string, Owner>; // ns/pod
  selectors?: Record<string, LabelSelector>; // Kind/ns/name
  services?: Record<string, ServiceFacts>; // ns/name
  slices?: Record<string, EndpointSliceFacts[]>; // ns/name
  podRanges?: Record<string, string>; // node -> spec.podCIDR
}

function facts(c: Cluster): ClusterFacts {
  const ranges = new PodRanges();
  for (const [name, cidr] of Object.entries(c.podRanges ?? {}))
    ranges.add({ name, podCIDRs: [cidr] });
  return {
    podOwner: (ns, name) => c.owners?.[`${ns}/${name}`],
    selectorOf: (kind, ns, name) => c.selectors?.[`${kind}/${ns}/${name}`],
    service: (ns, name) => c.services?.[`${ns}/${name}`],
    endpointSlices: (ns, name) => c.slices?.[`${ns}/${name}`] ?? [],
    nodeWithPodRange: (ip) => ranges.nodeAt(ip)?.name,
  };
}

/** An edge as the enricher leaves it, from the traced pod's side. */
function edge(e: Partial<Edge> & Pick<Edge, 'namespace' | 'pod' | 'ip' | 'port'>): Edge {
  return { type: 'normal', pktType: 'OUTGOING', proto: 'tcp', ...e };
}

const toSvc = (ns: string, name: string, selector?: Labels): Partial<Edge> => ({
  remoteKind: 'svc',
  remoteServiceNamespace: ns,
  remoteServiceName: name,
  ...(selector && { remoteServiceLabelSelector: selector }),
});
const toPod = (ns: string, name: string, labels: Labels): Partial<Edge> => ({
  remoteKind: 'pod',
  remotePodNamespace: ns,
  remotePodName: name,
  remotePodLabels: labels,
});
const owned = (kind: string, name: string, labels: Labels): Partial<Edge> => ({
  podOwnerKind: kind,
  podOwner: name,
  podLabels: labels,
});
const slice = (addresses: string[], ports: EndpointSliceFacts['ports'], v6 = false) => ({
  addressType: v6 ? 'IPv6' : 'IPv4',
  addresses,
  ports,
});

// The cluster DNS and the API server as kubeadm and minikube make them.
const system: Cluster = {
  services: {
    'kube-system/kube-dns': {
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
    'default/kubernetes': {
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 }],
    },
  },
  slices: {
    'kube-system/kube-dns': [
      slice(
        ['10.244.0.2', '10.244.0.3'],
        [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153, protocol: 'TCP' },
        ],
      ),
    ],
    'default/kubernetes': [
      slice(['192.168.49.2'], [{ name: 'https', port: 8443, protocol: 'TCP' }]),
    ],
  },
};

function merge(...cs: Cluster[]): Cluster {
  const out: Required<Cluster> = {
    owners: {},
    selectors: {},
    services: {},
    slices: {},
    podRanges: {},
  };
  for (const c of cs)
    for (const k of Object.keys(out) as (keyof Cluster)[]) Object.assign(out[k], c[k]);
  return out;
}

// Inspektor Gadget's testdata/connect-to-svc.input, in the edge format: a pod without
// labels asks kube-dns (UDP 53) and calls the API server (the `kubernetes` Service).
const igConnectToSvc: Edge[] = [
  edge({
    namespace: 'test-networkpolicy-8485776873410829123',
    pod: 'test-pod',
    proto: 'udp',
    ip: '10.96.0.10',
    port: 53,
    ...toSvc('kube-system', 'kube-dns', { 'k8s-app': 'kube-dns' }),
  }),
  edge({
    namespace: 'test-networkpolicy-8485776873410829123',
    pod: 'test-pod',
    ip: '10.96.0.1',
    port: 443,
    ...toSvc('default', 'kubernetes'),
  }),
];

// The seed's demo: a client Deployment calls the Service `server` (port 80, target
// 8080); the server's pod sees the client arrive on 8080. Inspektor Gadget's advisor
// writes port 80 here, which NetworkPolicy never matches after kube-proxy.
const demo: Cluster = {
  owners: {
    'demo/client-7c9d5-abcde': { kind: 'Deployment', name: 'client' },
    'demo/server-5f6b8-xyz12': { kind: 'Deployment', name: 'server' },
  },
  selectors: {
    'Deployment/demo/client': { matchLabels: { app: 'client' } },
    'Deployment/demo/server': {
      matchLabels: { app: 'server' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }],
    },
  },
  services: {
    'demo/server': {
      selector: { app: 'server' },
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    },
  },
  slices: {
    'demo/server': [slice(['10.244.1.7'], [{ name: 'http', port: 8080, protocol: 'TCP' }])],
  },
};
const clientLabels = { app: 'client', 'pod-template-hash': '7c9d5' };
const serverLabels = { app: 'server', tier: 'web', 'pod-template-hash': '5f6b8' };
const demoEdges: Edge[] = [
  edge({
    namespace: 'demo',
    pod: 'client-7c9d5-abcde',
    ip: '10.96.12.34',
    port: 80,
    ...owned('Deployment', 'client', clientLabels),
    ...toSvc('demo', 'server', { app: 'server' }),
  }),
  edge({
    namespace: 'demo',
    pod: 'client-7c9d5-abcde',
    proto: 'udp',
    ip: '10.96.0.10',
    port: 53,
    ...owned('Deployment', 'client', clientLabels),
    ...toSvc('kube-system', 'kube-dns'),
  }),
  edge({
    namespace: 'demo',
    pod: 'server-5f6b8-xyz12',
    pktType: 'HOST',
    ip: '10.244.0.5',
    port: 8080,
    ...owned('Deployment', 'server', serverLabels),
    ...toPod('demo', 'client-7c9d5-abcde', clientLabels),
  }),
];

// The demo's client also calls outside services it looked up by name (its agent learned
// the names from the DNS answers it received), one of them behind a CNAME, and the server
// is reached from a monitor it looked up; a crawler looks up 20 names in one network.
const asked = (name: string): Partial<Edge> => ({
  remoteKind: 'other',
  remoteName: name,
  remoteNameSource: 'dns',
});
const namedEdges: Edge[] = [
  ...demoEdges,
  ...['203.0.113.7', '203.0.113.8', '2001:db8::7'].map((ip) =>
    edge({
      namespace: 'demo',
      pod: 'client-7c9d5-abcde',
      ip,
      port: 443,
      ...owned('Deployment', 'client', clientLabels),
      ...asked('api.example.com'),
      remoteCanonicalName: 'lb.example.net',
    }),
  ),
  edge({
    namespace: 'demo',
    pod: 'client-7c9d5-abcde',
    ip: '198.51.100.200',
    port: 443,
    ...owned('Deployment', 'client', clientLabels),
    remoteKind: 'other',
    remoteName: 'host-200.provider.example',
    remoteNameSource: 'ptr',
  }),
  edge({
    namespace: 'demo',
    pod: 'server-5f6b8-xyz12',
    pktType: 'HOST',
    ip: '192.0.2.50',
    port: 8080,
    ...owned('Deployment', 'server', serverLabels),
    ...asked('monitor.example.org'),
  }),
  // A name Cilium's toFQDNs cannot hold (an escaped dot in a label) keeps its address.
  edge({
    namespace: 'demo',
    pod: 'client-7c9d5-abcde',
    ip: '203.0.113.99',
    port: 8443,
    ...owned('Deployment', 'client', clientLabels),
    ...asked('odd\\.label.example'),
  }),
  ...Array.from({ length: 20 }, (_, i) =>
    edge({
      namespace: 'crawl',
      pod: 'crawler',
      ip: `198.51.100.${i + 1}`,
      port: 443,
      podLabels: { app: 'crawler' },
      ...asked(`site${String(i).padStart(2, '0')}.example`),
    }),
  ),
];

interface Case {
  name: string;
  edges: Edge[];
  cluster: Cluster;
  parameters?: Record<string, string>;
}

const cases: Case[] = [
  { name: 'ig-connect-to-svc', edges: igConnectToSvc, cluster: system },
  {
    name: 'ig-connect-to-svc-allow-empty',
    edges: igConnectToSvc,
    cluster: system,
    parameters: { allowEmptyPodSelector: 'true' },
  },
  { name: 'client-to-service', edges: demoEdges, cluster: merge(system, demo) },
  { name: 'external-named', edges: namedEdges, cluster: merge(system, demo) },
  {
    name: 'external-named-cilium',
    edges: namedEdges,
    cluster: merge(system, demo),
    parameters: { policyKind: 'cilium' },
  },
  {
    name: 'ingress-only',
    edges: demoEdges,
    cluster: merge(system, demo),
    parameters: { policyTypes: 'Ingress' },
  },
  ...['false', 'true'].map((named) => ({
    name: `named-target-port-${named === 'true' ? 'named' : 'number'}`,
    edges: [
      edge({
        namespace: 'shop',
        pod: 'cart',
        ip: '10.96.3.3',
        port: 80,
        podLabels: { app: 'cart' },
        ...toSvc('shop', 'catalog'),
      }),
    ],
    cluster: {
      services: {
        'shop/catalog': {
          selector: { app: 'catalog' },
          ports: [{ name: 'web', port: 80, protocol: 'TCP' as const, targetPort: 'http' }],
        },
      },
      // Two versions of the pods name the port on different numbers.
      slices: {
        'shop/catalog': [
          slice(['10.244.2.1'], [{ name: 'web', port: 8080, protocol: 'TCP' }]),
          slice(['10.244.2.2'], [{ name: 'web', port: 9090, protocol: 'TCP' }]),
        ],
      },
    },
    parameters: { namedPorts: named },
  })),
  {
    // A StatefulSet selected by its own selector (never by the per-pod name label), a
    // Job by its job-name (its other labels are per run), and the API server's address.
    name: 'statefulset-and-job',
    edges: [
      edge({
        namespace: 'data',
        pod: 'migrate-x7k2p',
        ip: '10.244.3.10',
        port: 5432,
        ...owned('Job', 'migrate', {
          'batch.kubernetes.io/controller-uid': 'a1b2',
          'batch.kubernetes.io/job-name': 'migrate',
          'controller-uid': 'a1b2',
          'job-name': 'migrate',
        }),
        ...toPod('data', 'db-0', {
          app: 'db',
          'apps.kubernetes.io/pod-index': '0',
          'controller-revision-hash': 'db-6d4f',
          'statefulset.kubernetes.io/pod-name': 'db-0',
        }),
      }),
      edge({
        namespace: 'data',
        pod: 'db-0',
        pktType: 'HOST',
        ip: '10.244.3.20',
        port: 5432,
        ...owned('StatefulSet', 'db', {
          app: 'db',
          'controller-revision-hash': 'db-6d4f',
          'statefulset.kubernetes.io/pod-name': 'db-0',
        }),
        ...toPod('data', 'migrate-x7k2p', {
          'batch.kubernetes.io/job-name': 'migrate',
          'job-name': 'migrate',
        }),
      }),
      edge({
        namespace: 'data',
        pod: 'db-0',
        ip: '10.96.0.1',
        port: 443,
        ...owned('StatefulSet', 'db', { app: 'db' }),
        ...toSvc('default', 'kubernetes'),
      }),
    ],
    cluster: merge(system, {
      owners: {
        'data/db-0': { kind: 'StatefulSet', name: 'db' },
        'data/migrate-x7k2p': { kind: 'Job', name: 'migrate' },
      },
      selectors: { 'StatefulSet/data/db': { matchLabels: { app: 'db' } } },
    }),
  },
  {
    // A bare pod without labels gets no policy (a warning says why); as a peer it is
    // allowed by its address, since no selector picks it alone.
    name: 'pod-without-labels',
    edges: [
      edge({
        namespace: 'lab',
        pod: 'debug',
        ip: '10.244.4.2',
        port: 80,
        ...toPod('lab', 'web', { app: 'web' }),
      }),
      edge({
        namespace: 'lab',
        pod: 'web',
        pktType: 'HOST',
        ip: '10.244.4.1',
        port: 80,
        podLabels: { app: 'web' },
        ...toPod('lab', 'debug', {}),
      }),
    ],
    cluster: {},
  },
  {
    // Ports of one peer in one rule; peers with the same ports in one rule; a peer in
    // another namespace gets a namespaceSelector; order is stable whatever the input order.
    name: 'same-ports',
    edges: [
      ...[
        ['10.96.5.2', 443, 'payments'],
        ['10.96.5.1', 443, 'orders'],
        ['10.96.5.1', 80, 'orders'],
        ['10.96.5.2', 80, 'payments'],
        ['10.96.5.3', 80, 'audit'],
      ].map(([ip, port, svc]) =>
        edge({
          namespace: 'shop',
          pod: 'frontend',
          ip: ip as string,
          port: port as number,
          podLabels: { app: 'frontend' },
          ...toSvc(svc === 'audit' ? 'ops' : 'shop', svc as string),
        }),
      ),
    ],
    cluster: {
      services: Object.fromEntries(
        [
          ['shop/orders', 'orders'],
          ['shop/payments', 'payments'],
          ['ops/audit', 'audit'],
        ].map(([k, app]) => [
          k,
          {
            selector: { app: app as string },
            ports: [
              { port: 80, protocol: 'TCP' as const },
              { port: 443, protocol: 'TCP' as const },
            ],
          },
        ]),
      ),
    },
  },
  {
    // 60 internet addresses in two /24s become two blocks; a second workload with three
    // keeps /32s. Node addresses are flagged, not allowed.
    name: 'external-aggregated',
    edges: [
      ...Array.from({ length: 60 }, (_, i) =>
        edge({
          namespace: 'crawl',
          pod: 'crawler',
          ip: i < 30 ? `203.0.113.${i + 1}` : `198.51.100.${i}`,
          port: i % 2 === 0 ? 443 : 80,
          podLabels: { app: 'crawler' },
          remoteKind: 'other',
          remoteOther: i < 30 ? `203.0.113.${i + 1}` : `198.51.100.${i}`,
        }),
      ),
      ...['192.0.2.7', '192.0.2.8', '192.0.2.9'].map((ip) =>
        edge({
          namespace: 'crawl',
          pod: 'notifier',
          ip,
          port: 25,
          podLabels: { app: 'notifier' },
          remoteKind: 'other',
        }),
      ),
      edge({
        namespace: 'crawl',
        pod: 'notifier',
        ip: '10.250.0.3',
        port: 10250,
        podLabels: { app: 'notifier' },
        remoteKind: 'other',
        remoteName: 'node/worker1',
      }),
    ],
    cluster: {},
  },
  {
    name: 'ipv6',
    edges: [
      edge({
        namespace: 'six',
        pod: 'client',
        ip: 'fd00:10:96::a',
        port: 80,
        podLabels: { app: 'client' },
        ...toSvc('six', 'server'),
      }),
      edge({
        namespace: 'six',
        pod: 'client',
        ip: '2001:db8::1',
        port: 443,
        podLabels: { app: 'client' },
        remoteKind: 'other',
      }),
      ...Array.from({ length: 20 }, (_, i) =>
        edge({
          namespace: 'six',
          pod: 'client',
          ip: `2001:db8:${(i % 2).toString(16)}:1::${(i + 1).toString(16)}`,
          port: 443,
          podLabels: { app: 'client' },
          remoteKind: 'other',
        }),
      ),
      edge({
        namespace: 'six',
        pod: 'client',
        ip: 'fd00:10:96::1',
        port: 443,
        podLabels: { app: 'client' },
        ...toSvc('default', 'api6'),
      }),
    ],
    cluster: {
      services: {
        'six/server': {
          selector: { app: 'server' },
          ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
        },
        'default/api6': { ports: [{ name: 'https', port: 443, protocol: 'TCP' }] },
      },
      slices: {
        'default/api6': [
          slice(['fd00:10:250::1'], [{ name: 'https', port: 6443, protocol: 'TCP' }], true),
        ],
      },
    },
  },
  {
    // The demo's server on the test bed's real node (ptp + host-local CNI): the client
    // through the Service, and the kubelet's readiness probes, which come from the
    // node's own address in its pod range (the ptp gateway, 10.244.192.1): no pod had
    // it, so enrichment left it `other`. Node traffic, flagged; never an ipBlock /32.
    name: 'real-node-probe',
    edges: [
      edge({
        namespace: 'demo',
        pod: 'server-8498d68f5-4sm4h',
        pktType: 'HOST',
        ip: '10.244.192.4',
        port: 8080,
        ...owned('Deployment', 'server', { app: 'server', 'pod-template-hash': '8498d68f5' }),
        ...toPod('demo', 'client-6bcc5bd745-2fbg5', {
          app: 'client',
          'pod-template-hash': '6bcc5bd745',
        }),
      }),
      edge({
        namespace: 'demo',
        pod: 'server-8498d68f5-4sm4h',
        pktType: 'HOST',
        ip: '10.244.192.1',
        port: 8080,
        ...owned('Deployment', 'server', { app: 'server', 'pod-template-hash': '8498d68f5' }),
        remoteKind: 'other',
      }),
    ],
    cluster: {
      owners: { 'demo/client-6bcc5bd745-2fbg5': { kind: 'Deployment', name: 'client' } },
      selectors: {
        'Deployment/demo/server': { matchLabels: { app: 'server' } },
        'Deployment/demo/client': { matchLabels: { app: 'client' } },
      },
      podRanges: { 'albantyphoon-worker000003': '10.244.192.0/24', other: '10.244.193.0/24' },
    },
  },
  {
    // Inspektor Gadget panicked on these (its issues 1978 and 5300).
    name: 'unknown-kind',
    edges: [
      edge({
        namespace: 'x',
        pod: 'a',
        ip: '10.244.9.9',
        port: 80,
        podLabels: { app: 'a' },
        remoteKind: 'raw' as never,
      }),
      edge({
        namespace: 'x',
        pod: 'a',
        ip: '10.244.9.8',
        port: 0,
        podLabels: { app: 'a' },
        remoteKind: 'pod',
      }),
      edge({ namespace: 'x', pod: 'a', ip: '10.244.9.7', port: 81, podLabels: { app: 'a' } }),
      edge({
        namespace: 'x',
        pod: 'a',
        ip: '10.96.9.9',
        port: 80,
        podLabels: { app: 'a' },
        ...toSvc('x', 'gone'),
      }),
      { type: 'warn', message: 'edge map full' },
      edge({
        namespace: 'x',
        pod: 'a',
        ip: '10.244.9.6',
        port: 82,
        podLabels: { app: 'a' },
        ...toPod('x', 'b', { app: 'b' }),
      }),
    ],
    cluster: {},
  },
];

function render(c: Case): string {
  const g = generatePolicies(
    c.edges,
    facts(c.cluster),
    parsePolicyParameters(c.parameters),
    'gadget/network-graph',
  );
  const head = g.warnings.map((w) => `# warning: ${w}\n`).join('');
  return `${head}${policiesYaml(g.policies, g.peerNames)}`;
}

describe('generatePolicies (golden)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const file = new URL(`${c.name}.yaml`, dir);
      const got = render(c);
      if (process.env.NETGRAPH_UPDATE_GOLDEN === '1') writeFileSync(file, got);
      expect(existsSync(file), `${file.pathname} (NETGRAPH_UPDATE_GOLDEN=1 writes it)`).toBe(true);
      expect(got).toBe(readFileSync(file, 'utf8'));
      // Every document is a NetworkPolicy object kubectl can read.
      for (const d of parseAllDocuments(got)) expect(d.errors).toEqual([]);
    });
  }

  it('gives the same YAML whatever order the edges came in', () => {
    for (const c of cases) {
      const reversed = { ...c, edges: [...c.edges].reverse() };
      expect(render(reversed)).toBe(render(c));
    }
  });

  it('fixes what Inspektor Gadget got wrong in its own golden case', () => {
    const ig = parse(readFileSync(new URL('ig-connect-to-svc.ig.yaml', dir), 'utf8'));
    // IG: every pod of the namespace, and "every pod of default" for the API server.
    expect(ig.spec.podSelector).toEqual({});
    const ours = parse(readFileSync(new URL('ig-connect-to-svc-allow-empty.yaml', dir), 'utf8'));
    const egress = ours.spec.egress as { to: { ipBlock?: { cidr: string } }[]; ports: unknown[] }[];
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: '192.168.49.2/32' } }],
      ports: [{ protocol: 'TCP', port: 8443 }],
    });
    expect(egress.find((r) => r.ports.length === 2)?.ports).toEqual([
      { protocol: 'TCP', port: 53 },
      { protocol: 'UDP', port: 53 },
    ]);
    // Without the parameter, no policy selects the whole namespace.
    expect(render(cases[0] as Case)).not.toMatch(/podSelector: \{\}/);
  });
});
