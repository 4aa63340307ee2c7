// NetworkPolicy advice proven on the test bed: traffic between two Deployments
// through a Service (port 80 -> target 8080), `generate`, every policy accepted by
// `kubectl apply --dry-run=server`, applied, and enforced by a real enforcer:
// kube-router's network-policy controller (only its firewall runs; built by
// hack/build-kube-router). With the policies enforced, the observed traffic still
// flows and pairs that never talked are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildKubeRouter, type KubeRouter, startKubeRouter } from './kube-router.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { OperatorPort } from './operator-port.js';
import { addDeployment } from './owners.js';
import {
  addPod,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podExec,
  spawnInPod,
  waitFor,
} from './testbed.js';
import { getTrace, operate, waitTrace } from './traces.js';

const NS = 'netpol';
const NODE = 'netpol-node';
const TRACE = 'advice';
let net: Netgraph;
let operator: Proc;
let kubeRouter: KubeRouter | undefined;
const procs: PodProcess[] = [];
let client: PodInfo;
let server: PodInfo;
let stranger: PodInfo;
let clusterIP: string;
let yaml: string;

/** One TCP connection with a short timeout: true when the echo came back. */
async function connects(from: PodInfo, host: string, port: number): Promise<boolean> {
  const r = await podExec(
    from,
    nodeTool('tcp-client', ['--host', host, '--port', String(port), '--timeout', '2000']),
  );
  return r.code === 0;
}

beforeAll(async () => {
  await buildKubeRouter();
  await prepareTestbed({ namespaces: [NS], nodes: [NODE] });
  const [clientRs, serverRs] = await Promise.all([
    addDeployment(NS, 'client', 'client-7c9d5', { app: 'client', 'pod-template-hash': '7c9d5' }),
    addDeployment(NS, 'server', 'server-5f6b8', { app: 'server', 'pod-template-hash': '5f6b8' }),
  ]);
  [client, server, stranger] = await Promise.all([
    addPod(`${NS}/${clientRs}-abcde`, {
      node: NODE,
      labels: { app: 'client', 'pod-template-hash': '7c9d5' },
      owner: `ReplicaSet/${clientRs}`,
    }),
    addPod(`${NS}/${serverRs}-xyz12`, {
      node: NODE,
      labels: { app: 'server', 'pod-template-hash': '5f6b8' },
      owner: `ReplicaSet/${serverRs}`,
    }),
    addPod(`${NS}/stranger`, { node: NODE, labels: { app: 'stranger' } }),
  ]);
  await kubectl(['create', 'service', 'clusterip', 'server', '-n', NS, '--tcp=80:8080']);
  clusterIP = (
    await kubectl(['get', 'svc', '-n', NS, 'server', '-o', 'jsonpath={.spec.clusterIP}'])
  ).trim();
  for (const p of [server, stranger]) {
    const echo = spawnInPod(p, nodeTool('tcp-server', ['--port', '8080']));
    procs.push(echo);
    await echo.waitForLine(/listening/);
  }
  // The EndpointSlice controller publishes the server pod on 8080.
  await waitFor(
    async () =>
      (
        await kubectl([
          'get',
          'endpointslices',
          '-n',
          NS,
          '-l',
          'kubernetes.io/service-name=server',
          '-o',
          'jsonpath={.items[*].endpoints[*].addresses[*]}',
        ])
      ).includes(server.ip),
    { what: 'the EndpointSlice of Service server' },
  );
  net = await startNetgraph({ nodes: [NODE] });
  ({ operator } = net);
}, 1_500_000);

afterAll(async () => {
  // The policies go first, so kube-router removes their chains and ipsets itself.
  await kubectl(['delete', 'networkpolicies', '-n', NS, '--all']).catch(() => {});
  if (kubeRouter) {
    await new Promise((r) => setTimeout(r, 2000));
    // Also removes the chains and ipsets it leaves behind; throws if any stays.
    await kubeRouter.stop();
  }
  await Promise.all([net?.stop(), ...procs.map((p) => p.kill())]);
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('NetworkPolicy advice, enforced by kube-router', () => {
  it('generate writes policies for the traced workloads from what they did', async () => {
    const trace = {
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { name: TRACE, namespace: NS },
      spec: { node: NODE, gadget: 'network-graph', filter: { namespace: NS } },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
    // Never started: nothing to generate from.
    const early = await operate(NS, TRACE, 'generate', (t) => !!t.status?.operationError);
    expect(early.status?.operationError).toBe('Not started');
    await operate(NS, TRACE, 'start', (t) => t.status?.nodes?.[NODE]?.pods === 3);
    for (let i = 0; i < 3; i++) expect(await connects(client, clusterIP, 80)).toBe(true);
    await waitTrace(NS, TRACE, (t) => (t.status?.edges ?? 0) >= 2);
    await operate(NS, TRACE, 'stop', (t) => t.status?.state === 'Stopped');
    const done = await operate(NS, TRACE, 'generate', (t) => t.status?.policies !== undefined);
    expect(done.status?.operationError).toBeUndefined();
    expect(done.status?.policies).toBe(2);
    yaml = done.status?.output ?? '';
    const policies = parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .filter(Boolean);
    expect(policies.map((p) => p.metadata.name)).toEqual(['client-netgraph', 'server-netgraph']);
    const [forClient, forServer] = policies;
    // The Deployments' own selectors; the Service's target port, not its port 80.
    expect(forClient.spec).toEqual({
      podSelector: { matchLabels: { app: 'client' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        {
          to: [{ podSelector: { matchLabels: { app: 'server' } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    });
    expect(forServer.spec).toEqual({
      podSelector: { matchLabels: { app: 'server' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: 'client' } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
      egress: [],
    });
    // The operator's HTTP API serves the same YAML.
    const port = await OperatorPort.of(operator);
    const res = await port.get(`/api/v1/networkpolicies/${NS}/${TRACE}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(yaml);
    // Generating again over the same edges gives the same text: an empty GitOps diff.
    const again = await operate(NS, TRACE, 'generate', (t) => t.status?.policies !== undefined);
    expect(again.status?.output).toBe(yaml);
  });

  it('every policy passes kubectl apply --dry-run=server, then is applied', async () => {
    await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml });
    // Before enforcement, the pairs that never talked can talk.
    expect(await connects(stranger, server.ip, 8080)).toBe(true);
    expect(await connects(client, stranger.ip, 8080)).toBe(true);
    await kubectl(['apply', '-f', '-'], { input: yaml });
  });

  it('enforced by kube-router: observed traffic flows, pairs that never talked are refused', async () => {
    kubeRouter = startKubeRouter(NODE);
    // Both policies programmed: a policy chain each, and the pods' firewall chains.
    await kubeRouter.programmed(2, [`-d ${server.ip}/32`, `-s ${client.ip}/32`]);

    // What the trace saw still works, through the Service and to the pod directly.
    for (let i = 0; i < 3; i++) expect(await connects(client, clusterIP, 80)).toBe(true);
    expect(await connects(client, server.ip, 8080)).toBe(true);
    // Never seen: the stranger to the server (its ingress), the client to the stranger
    // (its egress), the server calling out.
    expect(await connects(stranger, server.ip, 8080)).toBe(false);
    expect(await connects(stranger, clusterIP, 80)).toBe(false);
    expect(await connects(client, stranger.ip, 8080)).toBe(false);
    expect(await connects(server, stranger.ip, 8080)).toBe(false);
    // The trace's status still says what was generated.
    expect((await getTrace(NS, TRACE)).status?.policies).toBe(2);
  });

  it('a running Status-mode trace gets its policies in a ConfigMap it owns', async () => {
    const name = 'advice-status';
    const trace = {
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { name, namespace: NS },
      spec: {
        node: NODE,
        gadget: 'network-graph',
        filter: { namespace: NS },
        outputMode: 'Status',
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
    await operate(NS, name, 'start', (t) => t.status?.nodes?.[NODE]?.pods === 3);
    expect(await connects(client, clusterIP, 80)).toBe(true);
    await waitTrace(NS, name, (t) => (t.status?.edges ?? 0) >= 2);
    const configMap = (jsonpath: string) =>
      kubectl([
        'get',
        'configmap',
        '-n',
        NS,
        `${name}-networkpolicies`,
        '-o',
        `jsonpath=${jsonpath}`,
      ]);
    // Twice: created, then updated in place.
    for (let i = 0; i < 2; i++) {
      const t = await operate(NS, name, 'generate', (x) => x.status?.policies === 2);
      expect(t.status?.operationWarning).toMatch(
        new RegExp(`^the NetworkPolicies are in ConfigMap ${NS}/${name}-networkpolicies`),
      );
      // status.output stays the trace's edges.
      expect(JSON.parse(t.status?.output ?? '')).toBeInstanceOf(Array);
      expect(await configMap('{.data.networkpolicies\\.yaml}')).toContain('name: server-netgraph');
    }
    const owner = await configMap(
      '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}',
    );
    expect(owner).toBe(`Trace/${name}`);
    await operate(NS, name, 'stop', (t) => t.status?.state === 'Stopped');
  });
});
