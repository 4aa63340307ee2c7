// The chart's operator replicas as `helm template` renders them (the real helm, no
// cluster): one replica by default, three when asked, and what more than one needs (a
// PodDisruptionBudget, spreading over nodes), the identity and address each replica
// learns from its pod, the Lease rights it holds, and the one certificate every replica
// serves; and the agent's map-size flags. test/e2e/rbac.test.ts and admission-policies.test.ts apply the RBAC and the
// policies to a real API server; chart.test.ts installs and upgrades the chart.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Doc, helmBinary, NS, one, render } from './chart-render.js';

const SERVICE_NAMES = [
  'netgraph-operator',
  'netgraph-operator.netgraph',
  'netgraph-operator.netgraph.svc',
  'netgraph-operator.netgraph.svc.cluster.local',
];
const OPERATOR_PODS = {
  'app.kubernetes.io/name': 'netgraph',
  'app.kubernetes.io/instance': 'netgraph',
  'app.kubernetes.io/component': 'operator',
};

const pod = (docs: Doc[]) => one(docs, 'Deployment').spec.template;
const container = (docs: Doc[]) => pod(docs).spec.containers[0];
const args = (docs: Doc[]): string[] => container(docs).args;

// Built once from the Go module proxy into ~/.cache/netgraph (hack/lint-chart builds it too).
beforeAll(() => helmBinary(), 1_200_000);

describe('operator.replicas', () => {
  let single: Doc[];
  let three: Doc[];
  beforeAll(async () => {
    [single, three] = await Promise.all([render(), render('operator.replicas=3')]);
  });

  it('runs one replica by default, three when asked, rolled one new pod at a time', () => {
    expect(one(single, 'Deployment').spec.replicas).toBe(1);
    expect(one(three, 'Deployment').spec.replicas).toBe(3);
    // The ring hands nodes over without overlap: an extra pod during an update is safe,
    // and no replica goes before its successor is Ready.
    for (const docs of [single, three])
      expect(one(docs, 'Deployment').spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      });
    expect(container(three).readinessProbe.httpGet).toMatchObject({ path: '/readyz' });
  });

  it('keeps a PodDisruptionBudget of one replica down only when there are several', () => {
    expect(single.filter((d) => d.kind === 'PodDisruptionBudget')).toEqual([]);
    const pdb = one(three, 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.metadata.namespace).toBe(NS);
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: OPERATOR_PODS } });
    // It selects exactly the Deployment's pods.
    expect(one(three, 'Deployment').spec.selector.matchLabels).toEqual(OPERATOR_PODS);
    expect(pod(three).metadata.labels).toMatchObject(OPERATOR_PODS);
  });

  it('spreads several replicas over nodes, one needing none', () => {
    expect(pod(single).spec.affinity).toBeUndefined();
    expect(pod(three).spec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: OPERATOR_PODS },
            },
          },
        ],
      },
    });
  });

  it("keeps the user's affinity: a node affinity gains the spread, an anti-affinity replaces it", async () => {
    const nodes = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] }],
      },
    };
    const withNodes = pod(
      await render(
        'operator.replicas=3',
        'operator.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=pool',
        'operator.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=In',
        'operator.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]=a',
      ),
    ).spec.affinity;
    expect(withNodes.nodeAffinity).toEqual(nodes);
    expect(withNodes.podAntiAffinity).toEqual(pod(three).spec.affinity.podAntiAffinity);

    const own = {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { x: 'y' } } },
      ],
    };
    const withOwn = pod(
      await render(
        'operator.replicas=3',
        'operator.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey=topology.kubernetes.io/zone',
        'operator.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels.x=y',
      ),
    ).spec.affinity;
    expect(withOwn).toEqual({ podAntiAffinity: own });
  });

  it('tells each replica its pod name (--replica-id) and its pod IP (--advertise-url)', () => {
    for (const docs of [single, three]) {
      const env = container(docs).env as { name: string; valueFrom?: unknown }[];
      expect(env.find((e) => e.name === 'NETGRAPH_POD_NAME')?.valueFrom).toEqual({
        fieldRef: { fieldPath: 'metadata.name' },
      });
      expect(env.find((e) => e.name === 'NETGRAPH_POD_IP')?.valueFrom).toEqual({
        fieldRef: { fieldPath: 'status.podIP' },
      });
    }
  });

  it('refuses fewer than one replica, or a fraction, naming the value', async () => {
    for (const bad of ['operator.replicas=0', 'operator.replicas=1.5'])
      await expect(render(bad), bad).rejects.toThrow(/- operator\.replicas: /);
  });
});

describe("the operator's Leases", () => {
  it('may be watched, created, patched and deleted in the release namespace only', async () => {
    const docs = await render('operator.replicas=3');
    const role = one(docs, 'Role');
    expect(role.metadata.namespace).toBe(NS);
    expect(role.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['list', 'watch', 'create', 'patch', 'delete'],
      },
    ]);
    expect(one(docs, 'RoleBinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'netgraph-operator', namespace: NS },
    ]);
    // No cluster-wide rule on Leases.
    const cluster = one(docs, 'ClusterRole').rules as { resources: string[] }[];
    expect(cluster.flatMap((r) => r.resources)).not.toContain('leases');
  });
});

describe('the certificate every replica serves', () => {
  const tlsArgs = [
    '--tls-cert-file=/etc/netgraph/tls/tls.crt',
    '--tls-key-file=/etc/netgraph/tls/tls.key',
  ];

  it.each([1, 3])(
    'with %i replica(s): a CA and a certificate it signs for the Service, mounted',
    async (replicas) => {
      const docs = await render(`operator.replicas=${replicas}`);
      const secret = one(docs, 'Secret', 'netgraph-operator-tls');
      expect(secret.type).toBe('kubernetes.io/tls');
      const pem = (k: string) => Buffer.from(secret.data[k], 'base64').toString();
      const cert = new X509Certificate(pem('tls.crt'));
      const ca = new X509Certificate(pem('ca.crt'));
      expect(ca.ca).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName?.split(', ')).toEqual(SERVICE_NAMES.map((n) => `DNS:${n}`));
      // Its key is the certificate's.
      expect(
        createPublicKey(createPrivateKey(pem('tls.key'))).export({ type: 'spki', format: 'der' }),
      ).toEqual(cert.publicKey.export({ type: 'spki', format: 'der' }));

      expect(args(docs)).toEqual(
        expect.arrayContaining([...tlsArgs, '--tls-ca-file=/etc/netgraph/tls/ca.crt']),
      );
      expect(args(docs)).toContain(`--tls-san=${SERVICE_NAMES.join(',')}`);
      expect(container(docs).volumeMounts).toContainEqual({
        name: 'tls',
        mountPath: '/etc/netgraph/tls',
        readOnly: true,
      });
      expect(pod(docs).spec.volumes).toContainEqual({
        name: 'tls',
        secret: { secretName: 'netgraph-operator-tls' },
      });
    },
  );

  it('adds extraSans, addresses as IP SANs', async () => {
    const docs = await render('operator.tls.extraSans={netgraph.example.com,192.0.2.7}');
    const secret = one(docs, 'Secret', 'netgraph-operator-tls');
    const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    expect(cert.subjectAltName?.split(', ')).toEqual([
      ...SERVICE_NAMES.map((n) => `DNS:${n}`),
      'DNS:netgraph.example.com',
      'IP Address:192.0.2.7',
    ]);
  });

  it('rolls the pods when the certificate is a new one (helm template cannot keep it)', async () => {
    const [a, b] = await Promise.all([render(), render()]);
    const sum = (docs: Doc[]) => pod(docs).metadata.annotations?.['checksum/tls'];
    expect(sum(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(one(a, 'Secret', 'netgraph-operator-tls').data['tls.crt']).not.toBe(
      one(b, 'Secret', 'netgraph-operator-tls').data['tls.crt'],
    );
    expect(sum(a)).not.toBe(sum(b));
  });

  it("serves the user's Secret instead, with its CA key when given, and makes none", async () => {
    const docs = await render(
      'operator.replicas=3',
      'operator.tls.secretName=netgraph-cert-manager',
      'operator.tls.caKey=ca.crt',
    );
    expect(docs.filter((d) => d.kind === 'Secret')).toEqual([]);
    expect(pod(docs).spec.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'netgraph-cert-manager' },
    });
    expect(args(docs)).toEqual(
      expect.arrayContaining([...tlsArgs, '--tls-ca-file=/etc/netgraph/tls/ca.crt']),
    );
    expect(pod(docs).metadata.annotations?.['checksum/tls']).toBeUndefined();
    // Without caKey clients pin the certificate itself.
    const bare = await render('operator.tls.secretName=netgraph-cert-manager');
    expect(args(bare).filter((a) => a.startsWith('--tls-ca-file'))).toEqual([]);
  });
});

describe("the operator's NetworkPolicy", () => {
  const MONITORING_PROMETHEUS = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
  };

  it("is on by default: its port only, from the replicas and monitoring's Prometheus", async () => {
    const policy = one(await render(), 'NetworkPolicy');
    expect(policy.spec.podSelector).toEqual({ matchLabels: OPERATOR_PODS });
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      {
        ports: [{ protocol: 'TCP', port: 9090 }],
        from: [{ podSelector: { matchLabels: OPERATOR_PODS } }, MONITORING_PROMETHEUS],
      },
    ]);
  });

  it('adds extraFrom; an empty prometheus list lets only the replicas in, never anyone', async () => {
    const extra = { ipBlock: { cidr: '192.0.2.0/24' } };
    const docs = await render(
      `operator.networkPolicy.extraFrom[0].ipBlock.cidr=${extra.ipBlock.cidr}`,
    );
    expect(one(docs, 'NetworkPolicy').spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: OPERATOR_PODS } },
      MONITORING_PROMETHEUS,
      extra,
    ]);
    const none = await render('operator.networkPolicy.prometheus=null');
    expect(one(none, 'NetworkPolicy').spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: OPERATOR_PODS } },
    ]);
  });
});

describe("the agent's map sizes", () => {
  const sizeArgs = (docs: Doc[]): string[] =>
    one(docs, 'DaemonSet', 'netgraph-gadget').spec.template.spec.containers[0].args.filter(
      (a: string) => a.startsWith('--max-'),
    );

  it('leaves --max-flows to the agent unless set, so raising maxEdges scales flows too', async () => {
    const [defaults, raised, both] = await Promise.all([
      render(),
      render('gadget.maxEdges=65536'),
      render('gadget.maxEdges=65536', 'gadget.maxFlows=100000'),
    ]);
    expect(sizeArgs(defaults)).toEqual(['--max-edges=32768']);
    expect(sizeArgs(raised)).toEqual(['--max-edges=65536']);
    expect(sizeArgs(both)).toEqual(['--max-edges=65536', '--max-flows=100000']);
  });
});
