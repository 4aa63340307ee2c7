// Who may see what on the operator's port, on the test bed's real apiserver: no
// credential or a bad one is 401; a ServiceAccount reads a Trace's graph, stream and
// policies only with `get` on that Trace (403 naming the right otherwise, and the Trace
// left out of its list); /metrics wants `get` on the non-resource URL; the admin's client
// certificate works; /healthz and /readyz are open. And a Trace outside a trusted
// namespace traces only its own.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../api/trace.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { OperatorPort, serviceAccountToken } from './operator-port.js';
import { addPod, kubectl } from './testbed.js';
import { getTrace, operate } from './traces.js';

const NODE = 'access-node';
const READERS = 'access-readers';
const ELSEWHERE = 'access-elsewhere';
const TRACE = 'gadget/access';
let net: Netgraph;
let port: OperatorPort;
const tokens: Record<'reader' | 'outsider' | 'scraper', string> = {
  reader: '',
  outsider: '',
  scraper: '',
};

const apply = (yaml: string) => kubectl(['apply', '-f', '-'], { input: yaml });

beforeAll(async () => {
  await prepareTestbed({ namespaces: ['gadget', READERS, ELSEWHERE], nodes: [NODE] });
  net = await startNetgraph({ nodes: [NODE] });
  port = await OperatorPort.of(net.operator);
  await apply(`apiVersion: gadget.kinvolk.io/v1alpha1
kind: Trace
metadata: { name: access, namespace: gadget }
spec: { node: ${NODE}, gadget: network-graph, filter: { namespace: ${READERS} } }
`);
  await operate('gadget', 'access', 'start', (t) => t.status?.state === 'Started');
  // reader: get on Traces in gadget; outsider: the same right, but in another namespace;
  // scraper: get on /metrics, as Prometheus ServiceAccounts hold it.
  await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: trace-viewer, namespace: gadget }
rules: [{ apiGroups: [gadget.kinvolk.io], resources: [traces], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: gadget }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: trace-viewer }
subjects: [{ kind: ServiceAccount, name: reader, namespace: ${READERS} }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: trace-viewer, namespace: ${ELSEWHERE} }
rules: [{ apiGroups: [gadget.kinvolk.io], resources: [traces], verbs: [get, list] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: outsider, namespace: ${ELSEWHERE} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: trace-viewer }
subjects: [{ kind: ServiceAccount, name: outsider, namespace: ${READERS} }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: access-test-metrics-reader }
rules: [{ nonResourceURLs: [/metrics], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: access-test-metrics-reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: access-test-metrics-reader }
subjects: [{ kind: ServiceAccount, name: scraper, namespace: ${READERS} }]
`);
  for (const who of ['reader', 'outsider', 'scraper'] as const)
    tokens[who] = await serviceAccountToken(READERS, who);
}, 180_000);

afterAll(async () => {
  // While the operator runs, so it releases the Trace's finalizer and the namespace can go.
  await kubectl(['delete', 'trace', '-n', 'gadget', 'access', '--timeout=30s']).catch(() => {});
  await net?.stop();
  await kubectl([
    'delete',
    'clusterrole,clusterrolebinding',
    'access-test-metrics-reader',
    '--ignore-not-found',
  ]).catch(() => {});
});

const traceData = [
  `/api/v1/traces/${TRACE}/graph`,
  `/api/v1/traces/${TRACE}/stream`,
  `/api/v1/traces/${TRACE}/edges`,
  `/api/v1/networkpolicies/${TRACE}`,
];

describe("the operator's port", () => {
  it('answers 401 without a credential or with a bad one, on every path but health', async () => {
    for (const path of [...traceData, '/metrics', '/api/v1/traces', '/']) {
      for (const who of ['none', { token: 'not-a-token' }] as const) {
        const a = await port.get(path, who);
        expect(a.status, `${path} as ${JSON.stringify(who)}`).toBe(401);
        expect(a.headers['www-authenticate']).toBe('Bearer realm="netgraph"');
      }
    }
    for (const path of ['/healthz', '/readyz'])
      expect((await port.get(path, 'none')).status, path).toBe(200);
  });

  it('lets a ServiceAccount with get on the Trace read its graph, and lists it', async () => {
    const who = { token: tokens.reader };
    const graph = await port.get(`/api/v1/traces/${TRACE}/graph`, who);
    expect(graph.status).toBe(200);
    expect(JSON.parse(graph.text)).toMatchObject({ trace: TRACE, state: 'Started' });
    const list = JSON.parse((await port.get('/api/v1/traces', who)).text) as {
      traces: { trace: string }[];
    };
    expect(list.traces.map((t) => t.trace)).toContain(TRACE);
    // The edge stream answers too (HEAD: its first answer, without the stream).
    expect((await port.head(`/api/v1/traces/${TRACE}/edges`, who)).status).toBe(200);
  });

  it('refuses, with 403 naming the right, one whose right is in another namespace', async () => {
    const who = { token: tokens.outsider };
    for (const path of traceData) {
      const a = await port.get(path, who);
      expect(a.status, path).toBe(403);
      expect(JSON.parse(a.text).error).toBe(
        `Forbidden: user "system:serviceaccount:${READERS}:outsider" may not get traces.gadget.kinvolk.io "access" in namespace gadget`,
      );
    }
    const list = JSON.parse((await port.get('/api/v1/traces', who)).text) as {
      traces: { trace: string }[];
    };
    expect(list.traces.map((t) => t.trace)).not.toContain(TRACE);
    expect((await port.get('/metrics', who)).status).toBe(403);
  });

  it('gives the outsider no graph through a path with an empty segment', async () => {
    // Issue 21: these once skipped the check and were served as gadget/access.
    for (const path of [
      '/api/v1/traces//gadget/access/graph',
      '/api/v1/traces/gadget//access/graph',
      '/api/v1//traces/gadget/access/graph',
    ]) {
      const a = await port.get(path, { token: tokens.outsider });
      expect(a.status, path).toBe(404);
      expect(JSON.parse(a.text), path).toEqual({ error: `no such path: ${path}` });
    }
  });

  it('serves /metrics to an identity with get on the non-resource URL /metrics', async () => {
    const a = await port.get('/metrics', { token: tokens.scraper });
    expect(a.status).toBe(200);
    expect(a.text).toContain('netgraph_operator_traces');
    expect(
      (await port.get(`/api/v1/traces/${TRACE}/graph`, { token: tokens.scraper })).status,
    ).toBe(403);
  });

  it("takes the admin kubeconfig's client certificate", async () => {
    expect((await port.get(`/api/v1/traces/${TRACE}/graph`, 'admin')).status).toBe(200);
    expect((await port.get('/metrics', 'admin')).status).toBe(200);
  });

  it('sends the security headers, and refuses a Host it does not answer to', async () => {
    const a = await port.get('/healthz', 'none');
    expect(a.headers['content-security-policy']).toContain("default-src 'self'");
    expect(a.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(a.headers['x-content-type-options']).toBe('nosniff');
    expect(a.headers['referrer-policy']).toBe('no-referrer');
    const rebound = await port.get('/api/v1/traces', 'admin', { host: 'attacker.example:9090' });
    expect(rebound.status).toBe(421);
  });
});

describe('a Trace outside a trusted namespace', () => {
  const traceIn = (namespace: string, name: string, filterNamespace: string) =>
    apply(`apiVersion: gadget.kinvolk.io/v1alpha1
kind: Trace
metadata: { name: ${name}, namespace: ${namespace} }
spec: { node: ${NODE}, gadget: network-graph, filter: { namespace: "${filterNamespace}" } }
`);

  it('may not name another namespace in its filter', async () => {
    await traceIn(ELSEWHERE, 'peek', READERS);
    const t: Trace = await operate(ELSEWHERE, 'peek', 'start', (x) => !!x.status?.operationError);
    expect(t.status?.operationError).toBe(
      `filter.namespace "${READERS}" is outside this Trace's namespace "${ELSEWHERE}": only Traces in a trusted namespace (netgraph, gadget) may trace other namespaces`,
    );
    expect(t.status?.state).toBeUndefined();
  });

  it('traces its own namespace when its filter names none, and no other', async () => {
    // A pod in the Trace's namespace and one in another, on the traced node.
    await Promise.all([
      addPod(`${ELSEWHERE}/mine`, { node: NODE }),
      addPod(`${READERS}/theirs`, { node: NODE }),
    ]);
    await traceIn(ELSEWHERE, 'own', '');
    await operate(ELSEWHERE, 'own', 'start', (x) => (x.status?.nodes?.[NODE]?.pods ?? 0) > 0);
    await sleep(2000); // an agent attaches a trace's pods in one batch: no second one comes
    const t = await getTrace(ELSEWHERE, 'own');
    expect(t.status?.operationError).toBeFalsy();
    expect(t.status?.nodes?.[NODE]?.pods).toBe(1);
  });
});
