// The chart's ValidatingAdmissionPolicies, enforced by the test bed's API server (1.32):
// an agent writes only its own node's Lease (so one agent cannot announce itself for
// another node), the operator only netgraph's ConfigMaps (its certificate, and a Trace's
// advice owned by the Trace). The agent's token is the one a kubelet gives its pod: bound
// to a Pod, and so to the Pod's node, which the API server puts in the token's user
// (checked here with a TokenReview). The Lease is written by the agent's own code
// (gadget/agent/lease.ts); the ConfigMaps by the operator's (lib/owned-config-map.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentLease, agentLeaseName, agentLeasesPath, type Lease } from '../../api/agent.js';
import { replicaLease, replicaLeaseName } from '../../api/ring.js';
import { GADGET, GROUP, KIND, PLURAL, type Trace, VERSION } from '../../api/trace.js';
import { agentHeldLease } from '../../gadget/agent/lease.js';
import { Kube, KubeConfig } from '../../lib/kube.js';
import type { ConfigMap, ObjectMeta, OwnerReference } from '../../lib/kube-objects.js';
import { logger } from '../../lib/log.js';
import { writeOwnedConfigMap } from '../../lib/owned-config-map.js';
import { selfSignedIdentity } from '../../lib/tls.js';
import { CA_KEY } from '../../operator/access/serving-cert.js';
import { CONFIGMAP_KEY, configMapName } from '../../operator/policy/advisor.js';
import { type ChartDoc, renderChart } from '../chart-render.js';
import { NETGRAPH_NS, OPERATOR_SA } from './netgraph.js';
import { prepareTestbed } from './on-testbed.js';
import { CERT_CONFIGMAP } from './operator-port.js';
import { kubeConfig, kubectl, testbed, testbedDir } from './testbed.js';

const GADGET_SA = 'netgraph-gadget';
const NODE = 'vap-node-a';
const OTHER = 'vap-node-b';
const POD = 'vap-agent';
// One Trace's advice the operator writes; the other's someone else labelled first.
const TRACE = 'vap-trace';
const TAKEN = 'vap-taken';
const TRACES = [TRACE, TAKEN];
const APPLIED = [
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
];

/** The chart's RBAC and policies this file applies (and deletes at the end). */
let applied: ChartDoc[] = [];
let agentKube: Kube;
let operatorKube: Kube;

/** A client of the test bed's API server that presents this bearer token. */
function tokenKube(token: string): Kube {
  const cluster = kubeConfig().getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'token', cluster: cluster.name, user: 'token' }],
    currentContext: 'token',
  });
  return new Kube(kc);
}

const admin = () => new Kube(kubeConfig());
const token = async (sa: string, ...args: string[]) =>
  (await kubectl(['create', 'token', sa, '-n', NETGRAPH_NS, '--duration', '1h', ...args])).trim();

const identity = selfSignedIdentity(['10.250.0.1']);
const leaseOf = (node: string) =>
  agentLease(
    NETGRAPH_NS,
    { node, endpoint: 'https://10.250.0.1:9478', cert: identity.cert },
    new Date(),
  );
const leasePath = (node: string) => `${agentLeasesPath(NETGRAPH_NS)}/${agentLeaseName(node)}`;
const silent = logger('test', 'silent');
// An operator replica's Lease (api/ring.ts), as the operator's ServiceAccount writes it.
const REPLICA = 'vap-replica';
const replicaOf = (id: string) =>
  replicaLease(NETGRAPH_NS, { id, endpoint: 'https://10.250.0.9:9090', view: '' }, new Date());
const replicaPath = (id: string) => `${agentLeasesPath(NETGRAPH_NS)}/${replicaLeaseName(id)}`;

beforeAll(async () => {
  applied = (await renderChart(NETGRAPH_NS)).filter(
    (d) => APPLIED.includes(d.kind) && !d.metadata.annotations?.['helm.sh/hook'],
  );
  await prepareTestbed({ nodes: [NODE, OTHER] });
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: applied }),
  });
  // A pod of the agent's ServiceAccount on NODE (no kubelet runs it: its token is the point).
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD, namespace: NETGRAPH_NS },
      spec: {
        nodeName: NODE,
        serviceAccountName: GADGET_SA,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'gadget', image: 'netgraph.dev/simulated' }],
      },
    }),
  });
  agentKube = tokenKube(
    await token(GADGET_SA, '--bound-object-kind', 'Pod', '--bound-object-name', POD),
  );
  operatorKube = tokenKube(await token(OPERATOR_SA));
  // A new policy takes a moment to be enforced: until then the other node's Lease is taken.
  for (let i = 0; ; i++) {
    const taken = await agentKube
      .request('POST', agentLeasesPath(NETGRAPH_NS), leaseOf(OTHER))
      .then(
        () => true,
        () => false,
      );
    if (!taken) break;
    await kubectl(['delete', 'lease', '-n', NETGRAPH_NS, agentLeaseName(OTHER)]);
    if (i > 50) throw new Error('the agent Lease policy was never enforced');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 1_500_000);

afterAll(async () => {
  // All of it: a later file's `helm install` refuses objects of the chart's names it does
  // not own (the RoleBinding in kube-system first).
  if (applied.length > 0)
    await kubectl(['delete', '--ignore-not-found', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: applied }),
    }).catch(() => {});
  await kubectl([
    'delete',
    '-n',
    NETGRAPH_NS,
    `pod/${POD}`,
    `lease/${agentLeaseName(NODE)}`,
    `lease/${agentLeaseName(OTHER)}`,
    `lease/${replicaLeaseName(REPLICA)}`,
    `lease/${replicaLeaseName(NODE)}`,
    'configmap/vap-theirs',
    `configmap/${CERT_CONFIGMAP}`,
    ...TRACES.flatMap((t) => [`trace/${t}`, `configmap/${configMapName(t)}`]),
    '--ignore-not-found',
  ]).catch(() => {});
});

describe("an agent writes only its own node's Lease", () => {
  it("a pod-bound token names the pod's node (TokenReview)", async () => {
    const review = await admin().request<{
      status: { user: { username: string; extra?: Record<string, string[]> } };
    }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: {
        token: await token(GADGET_SA, '--bound-object-kind', 'Pod', '--bound-object-name', POD),
      },
    });
    expect(review.status.user.username).toBe(`system:serviceaccount:${NETGRAPH_NS}:${GADGET_SA}`);
    expect(review.status.user.extra?.['authentication.kubernetes.io/node-name']).toEqual([NODE]);
  });

  it("its Lease: written, renewed and removed by the agent's code", async () => {
    const lease = agentHeldLease(
      agentKube,
      NETGRAPH_NS,
      { node: NODE, endpoint: 'https://10.250.0.1:9478', cert: identity.cert },
      silent,
    );
    await lease.start(60_000);
    await lease.start(60_000); // a renewal is a patch
    const held = await admin().request<Lease>('GET', leasePath(NODE));
    expect(held.spec?.holderIdentity).toBe(NODE);
    await lease.stop();
    await expect(admin().request('GET', leasePath(NODE))).rejects.toThrow(/not found/);
  });

  it("another node's Lease is refused by the API server, created or patched", async () => {
    const forged = agentHeldLease(
      agentKube,
      NETGRAPH_NS,
      { node: OTHER, endpoint: 'https://10.250.0.1:9478', cert: identity.cert },
      silent,
    );
    await expect(forged.start(60_000)).rejects.toThrow(
      `an agent writes only the Lease of its own node, ${agentLeaseName(NODE)}, not ${agentLeaseName(OTHER)}`,
    );
    // The other node's real Lease (written by admin here) cannot be taken over either.
    await admin().request('POST', agentLeasesPath(NETGRAPH_NS), leaseOf(OTHER));
    await expect(
      agentKube.request(
        'PATCH',
        leasePath(OTHER),
        { spec: { holderIdentity: NODE } },
        { patch: 'merge' },
      ),
    ).rejects.toThrow(/denied request: an agent writes only the Lease of its own node/);
    await expect(agentKube.request('DELETE', leasePath(OTHER))).rejects.toThrow(/denied request/);
  });

  it('its own Lease only with its own node as holder, and bounded annotations and labels', async () => {
    const own = leaseOf(NODE);
    const cases: [string, Lease, RegExp][] = [
      [
        'another holder',
        { ...own, spec: { ...own.spec, holderIdentity: OTHER } },
        /spec.holderIdentity must be the node of the agent, vap-node-a/,
      ],
      [
        'a certificate of 9 KiB',
        {
          ...own,
          metadata: {
            ...own.metadata,
            annotations: {
              ...own.metadata?.annotations,
              'netgraph.dev/cert': 'x'.repeat(9 * 1024),
            },
          },
        },
        /no annotation but netgraph.dev\/endpoint \(256 bytes at most\) and netgraph.dev\/cert \(8 KiB at most\)/,
      ],
      [
        'another annotation',
        {
          ...own,
          metadata: { ...own.metadata, annotations: { ...own.metadata?.annotations, note: 'hi' } },
        },
        /no annotation but/,
      ],
      [
        'another label',
        {
          ...own,
          metadata: { ...own.metadata, labels: { app: 'x', 'netgraph.dev/agent': 'true' } },
        },
        /no label but netgraph.dev\/agent=true/,
      ],
    ];
    for (const [what, body, message] of cases)
      await expect(
        agentKube.request('POST', agentLeasesPath(NETGRAPH_NS), body),
        what,
      ).rejects.toThrow(message);
  });

  it("the token a kubelet gives the agent's pod is refused another node's Lease", async () => {
    const real = 'vap-real-node';
    await testbed(['node', 'add', real, '--kubelet']);
    try {
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'vap-kubelet-agent', namespace: NETGRAPH_NS },
          spec: {
            nodeName: real,
            serviceAccountName: GADGET_SA,
            terminationGracePeriodSeconds: 0,
            containers: [
              { name: 'gadget', image: 'localhost/pause:testbed', imagePullPolicy: 'Never' },
            ],
          },
        }),
      });
      await kubectl(
        [
          'wait',
          '-n',
          NETGRAPH_NS,
          '--for=condition=Ready',
          'pod/vap-kubelet-agent',
          '--timeout=90s',
        ],
        { timeoutMs: 100_000 },
      );
      const uid = (
        await kubectl([
          'get',
          'pod',
          '-n',
          NETGRAPH_NS,
          'vap-kubelet-agent',
          '-o',
          'jsonpath={.metadata.uid}',
        ])
      ).trim();
      // The projected token the kubelet wrote for the pod, read on the node (this host).
      const volumes = `${testbedDir()}/kubelets/${real}/kubelet/pods/${uid}/volumes/kubernetes.io~projected`;
      const access = readdirSync(volumes).find((d) => d.startsWith('kube-api-access-'));
      const kubelets = tokenKube(readFileSync(`${volumes}/${access}/token`, 'utf8'));
      await expect(
        kubelets.request('POST', agentLeasesPath(NETGRAPH_NS), leaseOf(OTHER)),
      ).rejects.toThrow(
        `an agent writes only the Lease of its own node, ${agentLeaseName(real)}, not ${agentLeaseName(OTHER)}`,
      );
      await kubelets.request('POST', agentLeasesPath(NETGRAPH_NS), leaseOf(real));
      await kubelets.request('DELETE', leasePath(real));
    } finally {
      // While the kubelet runs, so the pod's deletion is confirmed.
      await kubectl(['delete', 'pod', '-n', NETGRAPH_NS, 'vap-kubelet-agent', '--timeout=60s'], {
        timeoutMs: 70_000,
      }).catch(() => {});
      await testbed(['node', 'del', real]).catch(() => {});
    }
  }, 300_000);

  it("an operator replica's Lease is refused, even one named for its node", async () => {
    for (const id of [REPLICA, NODE])
      await expect(
        agentKube.request('POST', agentLeasesPath(NETGRAPH_NS), replicaOf(id)),
        id,
      ).rejects.toThrow(
        `an agent writes only the Lease of its own node, ${agentLeaseName(NODE)}, not ${replicaLeaseName(id)}`,
      );
    // A live replica's cannot be taken over or removed.
    await operatorKube.request('POST', agentLeasesPath(NETGRAPH_NS), replicaOf(REPLICA));
    await expect(
      agentKube.request(
        'PATCH',
        replicaPath(REPLICA),
        { metadata: { annotations: { 'netgraph.dev/endpoint': 'https://10.250.0.1:9478' } } },
        { patch: 'merge' },
      ),
    ).rejects.toThrow(/denied request: an agent writes only the Lease of its own node/);
    await expect(agentKube.request('DELETE', replicaPath(REPLICA))).rejects.toThrow(
      /denied request/,
    );
    await operatorKube.request('DELETE', replicaPath(REPLICA));
  });

  it('a token bound to no pod names no node and writes no Lease', async () => {
    const unbound = tokenKube(await token(GADGET_SA));
    const write = unbound.request('POST', agentLeasesPath(NETGRAPH_NS), leaseOf(NODE));
    await expect(write).rejects.toThrow(/denied request: the token names no node/);
    // Forbidden (403), as the policies' reason says, not Invalid (422).
    await expect(write).rejects.toMatchObject({ status: 403 });
  });
});

describe("the operator holds its replicas' Leases", () => {
  it('creates one, renews it and deletes it with its own token', async () => {
    await operatorKube.request('POST', agentLeasesPath(NETGRAPH_NS), replicaOf(REPLICA));
    const renewed = replicaOf(REPLICA);
    await operatorKube.request(
      'PATCH',
      replicaPath(REPLICA),
      { spec: renewed.spec },
      {
        patch: 'merge',
      },
    );
    const held = await admin().request<Lease>('GET', replicaPath(REPLICA));
    expect(held.spec?.renewTime).toBe(renewed.spec?.renewTime);
    expect(held.metadata?.labels).toEqual({ 'netgraph.dev/operator-replica': 'true' });
    await operatorKube.request('DELETE', replicaPath(REPLICA));
    await expect(admin().request('GET', replicaPath(REPLICA))).rejects.toThrow(/not found/);
  });
});

describe("the operator writes only netgraph's ConfigMaps", () => {
  const path = (ns = NETGRAPH_NS) => `/api/v1/namespaces/${ns}/configmaps`;
  const ours = { 'app.kubernetes.io/managed-by': 'netgraph' };
  const cm = (name: string, metadata: Partial<ObjectMeta> = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: NETGRAPH_NS, ...metadata },
    data: { k: 'v' },
  });
  const notAllowed =
    /denied request: a ConfigMap the operator writes is its certificate, netgraph\/netgraph-operator-cert, or a Trace's <trace>-networkpolicies with an ownerReference to that gadget.kinvolk.io Trace/;
  // Traces no operator runs: only their owner references matter here.
  let traceOwner: OwnerReference;
  let takenOwner: OwnerReference;
  const createTrace = async (name: string): Promise<OwnerReference> => {
    const trace = await admin().request<Trace>(
      'POST',
      `/apis/${GROUP}/${VERSION}/namespaces/${NETGRAPH_NS}/${PLURAL}`,
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        metadata: { name, namespace: NETGRAPH_NS },
        spec: { node: NODE, gadget: GADGET, runMode: 'Manual', outputMode: 'Status' },
      },
    );
    return { apiVersion: trace.apiVersion, kind: trace.kind, name, uid: trace.metadata.uid ?? '' };
  };
  beforeAll(async () => {
    traceOwner = await createTrace(TRACE);
    takenOwner = await createTrace(TAKEN);
  });

  // As operator/policy/advisor.ts writes a Trace's advice: created, then patched.
  it("creates and patches a Trace's <trace>-networkpolicies, owned by the Trace", async () => {
    for (const yaml of ['v1', 'v2'])
      await writeOwnedConfigMap(operatorKube, {
        namespace: NETGRAPH_NS,
        name: configMapName(TRACE),
        owner: traceOwner,
        data: { [CONFIGMAP_KEY]: yaml },
      });
    const written = await admin().request<ConfigMap>('GET', `${path()}/${configMapName(TRACE)}`);
    expect(written.data).toEqual({ [CONFIGMAP_KEY]: 'v2' });
  });

  // As operator/access/secure-port.ts publishes it in the release's namespace.
  it('creates and patches its certificate ConfigMap', async () => {
    for (const ca of ['ca-1', 'ca-2'])
      await writeOwnedConfigMap(operatorKube, {
        namespace: NETGRAPH_NS,
        name: CERT_CONFIGMAP,
        data: { [CA_KEY]: ca },
      });
    const written = await admin().request<ConfigMap>('GET', `${path()}/${CERT_CONFIGMAP}`);
    expect(written.data).toEqual({ [CA_KEY]: 'ca-2' });
  });

  it("may not create a labelled one that is neither its certificate nor a Trace's advice", async () => {
    const cases: [string, ReturnType<typeof cm>][] = [
      ['no owner', cm('vap-ownerless', { labels: ours })],
      [
        'a Trace it is not named after',
        cm('vap-ownerless', { labels: ours, ownerReferences: [traceOwner] }),
      ],
      [
        'another kind of owner',
        cm(configMapName('vap-deployment'), {
          labels: ours,
          ownerReferences: [
            { ...traceOwner, apiVersion: 'apps/v1', kind: 'Deployment', name: 'vap-deployment' },
          ],
        }),
      ],
      [
        "the certificate's name in another namespace",
        cm(CERT_CONFIGMAP, { namespace: 'default', labels: ours }),
      ],
    ];
    for (const [what, body] of cases)
      await expect(
        operatorKube.request('POST', path(body.metadata.namespace), body),
        what,
      ).rejects.toThrow(notAllowed);
  });

  it('may not create one without the label, nor take one over by labelling it', async () => {
    await expect(operatorKube.request('POST', path(), cm('vap-unlabelled'))).rejects.toThrow(
      /denied request: a ConfigMap the operator writes carries the label app.kubernetes.io\/managed-by=netgraph/,
    );
    await admin().request('POST', path(), cm('vap-theirs'));
    await expect(
      operatorKube.mergePatch(`${path()}/vap-theirs`, { metadata: { labels: ours } }),
    ).rejects.toThrow(/ConfigMap netgraph\/vap-theirs is not netgraph's/);
  });

  it("may not take over a labelled one the Trace does not own by adding the Trace's owner", async () => {
    const name = configMapName(TAKEN);
    await admin().request('POST', path(), cm(name, { labels: ours }));
    await expect(
      operatorKube.mergePatch(`${path()}/${name}`, {
        metadata: { ownerReferences: [takenOwner] },
        data: { [CONFIGMAP_KEY]: 'forged' },
      }),
    ).rejects.toThrow(`ConfigMap netgraph/${name} is not netgraph's`);
  });
});
