// The Helm chart's RBAC, on the test bed: the ServiceAccounts, (Cluster)Roles and
// bindings rendered by `helm template` are applied, and the operator and one agent run
// with tokens of their own ServiceAccounts instead of the admin kubeconfig. The whole
// path of a user must work with them (sufficient), every rule the chart grants is
// pinned here and what neither may do is refused (least privilege).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_AUDIENCE } from '../../api/agent.js';
import { renderChart } from '../chart-render.js';
import { NETGRAPH_NS, OPERATOR_SA, type Proc, procs } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import {
  addPod,
  type ExecResult,
  kubeConfig,
  kubeconfigPath,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podExec,
  spawnInPod,
} from './testbed.js';
import { operate, waitTrace } from './traces.js';

const GADGET_SA = 'netgraph-gadget';
const NODE = 'rbac-node';
const TRACES_NS = 'rbac-traces';
const APP_NS = 'rbac-demo';
const TRACE = 'rbac';
const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

interface KubeDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  rules?: {
    apiGroups?: string[];
    resources?: string[];
    verbs: string[];
    resourceNames?: string[];
  }[];
}

let tmp: string;
let rendered: KubeDoc[];
let applied: KubeDoc[];
const kubeconfigs: Record<string, string> = {};
let net: Netgraph | undefined;
let operator: Proc | undefined;
let agent: Proc | undefined;
let serverProc: PodProcess | undefined;
let client: PodInfo;
let server: PodInfo;
let clusterIP: string;

function exec(
  file: string,
  args: string[],
  input?: string,
  timeoutMs = 60_000,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { maxBuffer: 64 << 20, timeout: timeoutMs },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

const sa = (name: string) => `system:serviceaccount:${NETGRAPH_NS}:${name}`;

/** `kubectl auth can-i` as the ServiceAccount (impersonated by admin). */
async function canI(
  who: string,
  verb: string,
  resource: string,
  opts: { ns?: string; sub?: string } = {},
): Promise<boolean> {
  const args = [
    '--kubeconfig',
    kubeconfigPath(),
    'auth',
    'can-i',
    verb,
    resource,
    `--as=${sa(who)}`,
  ];
  args.push(...(opts.ns ? ['-n', opts.ns] : ['--all-namespaces']));
  if (opts.sub) args.push(`--subresource=${opts.sub}`);
  const r = await exec('kubectl', args);
  const answer = r.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') throw new Error(`can-i ${args.join(' ')}: ${r.stderr}`);
  return answer === 'yes';
}

/**
 * Every resource rule WHO holds in NS beyond what any authenticated ServiceAccount
 * holds, as sorted `verb group/resource` strings (SelfSubjectRulesReview, impersonated).
 */
async function grantedRules(who: string, ns: string): Promise<string[]> {
  const review = async (user: string) => {
    const out = await kubectl(
      ['create', '--validate=false', '-o', 'json', `--as=${user}`, '-f', '-'],
      {
        input: JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          spec: { namespace: ns },
        }),
      },
    );
    const status = JSON.parse(out).status as {
      resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[] }[];
    };
    const set = new Set<string>();
    for (const r of status.resourceRules)
      for (const v of r.verbs)
        for (const g of r.apiGroups ?? [''])
          for (const res of r.resources ?? []) set.add(`${v} ${g || 'core'}/${res}`);
    return set;
  };
  const [mine, baseline] = await Promise.all([review(sa(who)), review(sa('nobody-rbac-baseline'))]);
  return [...mine].filter((r) => !baseline.has(r)).sort();
}

/** A kubeconfig with the test bed's server and CA and a token of the ServiceAccount. */
async function saKubeconfig(name: string): Promise<string> {
  const cluster = kubeConfig().getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no cluster');
  const ca =
    cluster.caData ??
    (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  if (!ca) throw new Error('admin kubeconfig has no CA');
  const token = (
    await kubectl(['create', 'token', name, '-n', NETGRAPH_NS, '--duration', '1h'])
  ).trim();
  const path = join(tmp, `${name}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'testbed', cluster: { server: cluster.server, 'certificate-authority-data': ca } },
    ],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: 'testbed', user: name, namespace: NETGRAPH_NS } }],
    'current-context': name,
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

const operateTrace = (op: 'start' | 'stop', state: string) =>
  operate(TRACES_NS, TRACE, op, (t) => t.status?.state === state);

/** Log lines (and stderr) of a process that tell of a refusal by the apiserver (403, 401). */
const refusals = (p: Proc | undefined): string[] =>
  [
    ...(p?.lines.filter((l) => l.msg !== 'edge').map((l) => JSON.stringify(l)) ?? []),
    ...(p?.stderr ?? []),
  ].filter((l) => /forbidden|unauthorized/i.test(l));

beforeAll(async () => {
  rendered = await renderChart<KubeDoc>(NETGRAPH_NS);
  // The Deployment and the DaemonSet need a kubelet (test/e2e/real-node.test.ts runs them);
  // hooks (the uninstall Job's identity) exist only while `helm uninstall` runs.
  applied = rendered.filter(
    (d) => RBAC_KINDS.includes(d.kind) && !d.metadata.annotations?.['helm.sh/hook'],
  );

  tmp = mkdtempSync(join(tmpdir(), 'netgraph-rbac-'));
  for (const ns of [NETGRAPH_NS, TRACES_NS, APP_NS])
    await kubectl(['create', 'namespace', ns]).catch(() => {});
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: applied }),
  });

  kubeconfigs[OPERATOR_SA] = await saKubeconfig(OPERATOR_SA);
  kubeconfigs[GADGET_SA] = await saKubeconfig(GADGET_SA);
  // What the chart projects into the operator's pod: its token for the agents' audience.
  const agentToken = join(tmp, 'agent-token');
  writeFileSync(
    agentToken,
    await kubectl([
      'create',
      'token',
      OPERATOR_SA,
      '-n',
      NETGRAPH_NS,
      '--audience',
      AGENT_AUDIENCE,
      '--duration',
      '1h',
    ]),
    { mode: 0o600 },
  );

  // The chart's ServiceAccounts exist by now: creating the operator's finds it there.
  await prepareTestbed({ nodes: [NODE] });
  [client, server] = await Promise.all([
    addPod(`${APP_NS}/client`, { node: NODE, labels: { app: 'client' } }),
    addPod(`${APP_NS}/server`, { node: NODE, labels: { app: 'server' } }),
  ]);
  await kubectl(['create', 'service', 'clusterip', 'server', '-n', APP_NS, '--tcp=80:8080']);
  clusterIP = (
    await kubectl(['get', 'svc', '-n', APP_NS, 'server', '-o', 'jsonpath={.spec.clusterIP}'])
  ).trim();
  serverProc = spawnInPod(server, nodeTool('tcp-server', ['--port', '8080']));
  await serverProc.waitForLine(/listening/);

  try {
    // 'operator started' is logged only once every watch (Nodes, Leases, Pods, Services,
    // ReplicaSets, Jobs, Traces) has listed: each of them is allowed.
    net = await startNetgraph({
      nodes: [NODE],
      agentKubeconfig: kubeconfigs[GADGET_SA] as string,
      operatorKubeconfig: kubeconfigs[OPERATOR_SA] as string,
      operatorEnv: { NETGRAPH_AGENT_TOKEN_FILE: agentToken },
      // The Trace lives in its own namespace and traces the app's, as a trusted one may.
      operatorArgs: ['--trusted-namespaces', TRACES_NS],
    });
    ({ operator } = net);
    [agent] = net.agents as [Proc];
  } catch (err) {
    // A missing permission shows as a watch that keeps failing: say which (the agent first).
    const why = procs.flatMap(refusals).slice(0, 5).join('\n');
    throw new Error(`${(err as Error).message}${why ? `\nrefused:\n${why}` : ''}`);
  }
}, 1_500_000);

afterAll(async () => {
  // While the operator still runs, so its finalizer is removed.
  await kubectl([
    'delete',
    'trace',
    '-n',
    TRACES_NS,
    TRACE,
    '--ignore-not-found',
    '--timeout=20s',
  ]).catch(() => {});
  await Promise.all([net?.stop(), serverProc?.kill()]);
  await kubectl(['delete', 'namespace', TRACES_NS, APP_NS, '--wait=false']).catch(() => {});
  // The ServiceAccounts stay: other e2e tests use netgraph-operator.
  const rbac = applied?.filter((d) => d.kind !== 'ServiceAccount') ?? [];
  if (rbac.length > 0)
    await kubectl(['delete', '--ignore-not-found', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }),
    }).catch(() => {});
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the chart', () => {
  it('renders two ServiceAccounts and their RBAC (applied) besides the workloads (not applied)', () => {
    const kinds = (docs: KubeDoc[]) => docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(kinds(applied)).toEqual([
      'ClusterRole/netgraph-gadget',
      'ClusterRole/netgraph-operator',
      'ClusterRoleBinding/netgraph-gadget',
      'ClusterRoleBinding/netgraph-operator',
      'Role/netgraph-gadget',
      'Role/netgraph-operator',
      'RoleBinding/netgraph-gadget',
      'RoleBinding/netgraph-operator',
      // kube-system's extension-apiserver-authentication-reader: the cluster's client CA
      'RoleBinding/netgraph-operator-auth-reader',
      'ServiceAccount/netgraph-gadget',
      'ServiceAccount/netgraph-operator',
    ]);
    expect(kinds(rendered.filter((d) => !applied.includes(d)))).toEqual([
      'ClusterRole/netgraph-uninstall',
      'ClusterRoleBinding/netgraph-uninstall',
      'DaemonSet/netgraph-gadget',
      'Deployment/netgraph-operator',
      'Job/netgraph-uninstall',
      'NetworkPolicy/netgraph-operator',
      'Role/netgraph-uninstall',
      'RoleBinding/netgraph-uninstall',
      // The certificate every operator replica serves (test/chart-replicas.test.ts).
      'Secret/netgraph-operator-tls',
      'Service/netgraph-operator',
      'ServiceAccount/netgraph-uninstall',
      // Admission policies: test/e2e/admission-policies.test.ts applies them.
      'ValidatingAdmissionPolicy/netgraph-agent-leases',
      'ValidatingAdmissionPolicy/netgraph-operator-configmaps',
      'ValidatingAdmissionPolicyBinding/netgraph-agent-leases',
      'ValidatingAdmissionPolicyBinding/netgraph-operator-configmaps',
    ]);
  });

  it('grants no wildcard', () => {
    for (const d of applied)
      for (const r of d.rules ?? [])
        for (const v of [...(r.apiGroups ?? []), ...(r.resources ?? []), ...r.verbs])
          expect(v, `${d.kind}/${d.metadata.name}`).not.toContain('*');
  });
});

describe('the operator and the agent run as their ServiceAccounts', () => {
  it.each([OPERATOR_SA, GADGET_SA])(
    '%s: its kubeconfig is that identity, not admin',
    async (name) => {
      const kc = kubeconfigs[name] as string;
      const who = await exec('kubectl', [
        '--kubeconfig',
        kc,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]);
      expect(who.stdout.trim(), who.stderr).toBe(sa(name));
      const secrets = await exec('kubectl', [
        '--kubeconfig',
        kc,
        'get',
        'secrets',
        '-n',
        NETGRAPH_NS,
      ]);
      expect(secrets.code).not.toBe(0);
      expect(secrets.stderr).toMatch(/forbidden/i);
    },
  );

  it('a Trace applied by a user is started, streams enriched edges and is stopped', async () => {
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'gadget.kinvolk.io/v1alpha1',
        kind: 'Trace',
        metadata: { name: TRACE, namespace: TRACES_NS },
        spec: {
          node: NODE,
          gadget: 'network-graph',
          filter: { namespace: APP_NS },
          runMode: 'Manual',
          outputMode: 'Stream',
        },
      }),
    });
    // Finalizer (patch traces), status (patch traces/status), annotation removed (patch traces).
    const started = await operateTrace('start', 'Started');
    expect(started.status?.operationError).toBeUndefined();
    expect(started.metadata.finalizers).toContain('gadget.kinvolk.io/finalizer');
    // The agent saw its node's pods (list/watch pods) and took the operator's command
    // (its TokenReview of the operator's token).
    await waitTrace(
      TRACES_NS,
      TRACE,
      (t) => t.status?.nodes?.[NODE]?.pods === 2,
      'agent attached to the two pods',
    );

    const r = await podExec(
      client,
      nodeTool('tcp-client', ['--host', clusterIP, '--port', '80', '--bytes', '100']),
    );
    expect(r.code, r.stderr).toBe(0);
    const key = `${TRACES_NS}/${TRACE}`;
    const toService = await (operator as Proc).waitLine(
      (l) => l.msg === 'edge' && l.trace === key && l.pod === 'client' && l.ip === clusterIP,
    );
    // Enriched from the operator's cluster-wide Service and Pod watches.
    expect(toService).toMatchObject({
      node: NODE,
      namespace: APP_NS,
      pktType: 'OUTGOING',
      proto: 'tcp',
      port: 80,
      remoteKind: 'svc',
      remoteServiceNamespace: APP_NS,
      remoteServiceName: 'server',
      remoteServiceLabelSelector: { app: 'server' },
      podLabels: { app: 'client' },
    });
    const atServer = await (operator as Proc).waitLine(
      (l) => l.msg === 'edge' && l.trace === key && l.pod === 'server' && l.ip === client.ip,
    );
    expect(atServer).toMatchObject({
      pktType: 'HOST',
      port: 8080,
      remoteKind: 'pod',
      remotePodNamespace: APP_NS,
      remotePodName: 'client',
    });

    const stopped = await operateTrace('stop', 'Stopped');
    expect(stopped.status?.operationError).toBeUndefined();
    expect(stopped.status?.edges).toBeGreaterThanOrEqual(2);
  });

  it('neither was refused anything by the apiserver, nor the agent the operator', () => {
    expect(operator?.running).toBe(true);
    expect(agent?.running).toBe(true);
    expect(refusals(operator)).toEqual([]);
    expect(refusals(agent)).toEqual([]);
    expect(agent?.lines.filter((l) => l.msg === 'refused')).toEqual([]);
  });
});

describe('least privilege', () => {
  // Each rule, with what needs it. A rule added to the chart fails here until it is
  // added, with its reason, to this list.
  const operatorRules = [
    // A peer replica's port asks whether the caller (another replica) may get the Trace.
    'get gadget.kinvolk.io/traces',
    'list gadget.kinvolk.io/traces', // the Trace watch
    'watch gadget.kinvolk.io/traces',
    'patch gadget.kinvolk.io/traces', // finalizer, operation annotation removed
    'patch gadget.kinvolk.io/traces/status', // state, edges, nodes, output
    'list core/nodes', // which nodes are Ready; node addresses for enrichment
    'watch core/nodes',
    'list core/pods', // enrichment: the remote pod, the local pod's owner
    'watch core/pods',
    'list core/services', // enrichment: remoteKind svc
    'watch core/services',
    'list apps/replicasets', // owner: ReplicaSet -> Deployment
    'watch apps/replicasets',
    'list batch/jobs', // owner: Job -> CronJob
    'watch batch/jobs',
    'list apps/deployments', // generate: a workload's own selector
    'watch apps/deployments',
    'list apps/statefulsets',
    'watch apps/statefulsets',
    'list apps/daemonsets',
    'watch apps/daemonsets',
    'list discovery.k8s.io/endpointslices', // generate: target ports, selector-less endpoints
    'watch discovery.k8s.io/endpointslices',
    // generate's <trace>-networkpolicies (over 256 KiB) and the HTTPS port's certificate
    // (<release>-operator-cert): created, or patched only where netgraph's (owned-config-map.ts)
    'create core/configmaps',
    'patch core/configmaps',
    'create authentication.k8s.io/tokenreviews', // the HTTPS port: who a bearer token is
    'create authorization.k8s.io/subjectaccessreviews', // the HTTPS port: may the caller read it
  ].sort();
  const gadgetRules = [
    'list core/pods', // its own node's pods (field selector)
    'watch core/pods',
    'create authentication.k8s.io/tokenreviews', // only the operator may command it
  ].sort();
  const leases = (verbs: string[]) => verbs.map((v) => `${v} coordination.k8s.io/leases`);

  it('the operator holds exactly its rules, Leases only in its namespace', async () => {
    // The agents' and its peers' (watched), its own (created, renewed by a patch, deleted).
    expect(await grantedRules(OPERATOR_SA, NETGRAPH_NS)).toEqual(
      [...operatorRules, ...leases(['list', 'watch', 'create', 'patch', 'delete'])].sort(),
    );
    expect(await grantedRules(OPERATOR_SA, 'default')).toEqual(operatorRules);
  });

  it('the agent holds exactly its rules, its Lease only in the operator namespace', async () => {
    expect(await grantedRules(GADGET_SA, NETGRAPH_NS)).toEqual(
      [...gadgetRules, ...leases(['create', 'patch', 'delete'])].sort(),
    );
    expect(await grantedRules(GADGET_SA, 'default')).toEqual(gadgetRules);
  });

  type Check = [string, string, { ns?: string; sub?: string }?];
  const allowed: Record<string, Check[]> = {
    [OPERATOR_SA]: [
      ['watch', 'traces.gadget.kinvolk.io'],
      ['patch', 'traces.gadget.kinvolk.io'],
      ['patch', 'traces.gadget.kinvolk.io', { sub: 'status' }],
      ['watch', 'nodes'],
      ['watch', 'pods'],
      ['watch', 'services'],
      ['watch', 'replicasets.apps'],
      ['watch', 'jobs.batch'],
      ['watch', 'deployments.apps'],
      ['watch', 'endpointslices.discovery.k8s.io'],
      ['patch', 'configmaps', { ns: APP_NS }],
      ['create', 'tokenreviews.authentication.k8s.io'],
      ['create', 'subjectaccessreviews.authorization.k8s.io'],
      ['watch', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['create', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['patch', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['delete', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
    ],
    [GADGET_SA]: [
      ['watch', 'pods'],
      ['create', 'tokenreviews.authentication.k8s.io'],
      ['create', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['patch', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['delete', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
    ],
  };
  const forbidden: Record<string, Check[]> = {
    [OPERATOR_SA]: [
      ['get', 'secrets'],
      ['get', 'secrets', { ns: NETGRAPH_NS }],
      ['delete', 'configmaps'],
      ['get', 'configmaps'],
      ['update', 'configmaps'],
      ['list', 'configmaps', { ns: 'kube-system' }],
      ['create', 'networkpolicies.networking.k8s.io'],
      ['create', 'pods'],
      ['create', 'pods', { ns: NETGRAPH_NS, sub: 'exec' }],
      ['delete', 'pods'],
      ['patch', 'nodes'],
      ['create', 'traces.gadget.kinvolk.io'],
      ['update', 'traces.gadget.kinvolk.io'],
      ['delete', 'traces.gadget.kinvolk.io'],
      // Its token for the agents is the projected file (NETGRAPH_AGENT_TOKEN_FILE).
      ['create', 'serviceaccounts', { ns: NETGRAPH_NS, sub: 'token' }],
      ['create', 'leases.coordination.k8s.io', { ns: APP_NS }],
      ['update', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['list', 'leases.coordination.k8s.io', { ns: 'kube-system' }],
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
      ['impersonate', 'serviceaccounts'],
    ],
    [GADGET_SA]: [
      ['get', 'secrets'],
      ['get', 'secrets', { ns: NETGRAPH_NS }],
      ['get', 'configmaps'],
      ['list', 'traces.gadget.kinvolk.io'],
      ['patch', 'traces.gadget.kinvolk.io'],
      ['patch', 'traces.gadget.kinvolk.io', { sub: 'status' }],
      ['list', 'services'],
      ['list', 'nodes'],
      ['create', 'pods'],
      ['patch', 'pods'],
      ['delete', 'pods'],
      ['create', 'pods', { ns: APP_NS, sub: 'exec' }],
      ['create', 'serviceaccounts', { ns: NETGRAPH_NS, sub: 'token' }],
      ['get', 'leases.coordination.k8s.io', { ns: NETGRAPH_NS }],
      ['create', 'leases.coordination.k8s.io', { ns: 'kube-system' }],
      ['delete', 'leases.coordination.k8s.io', { ns: 'kube-node-lease' }],
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
    ],
  };
  const where = (o?: { ns?: string; sub?: string }) =>
    `${o?.sub ? `/${o.sub}` : ''}${o?.ns ? ` in ${o.ns}` : ''}`;

  for (const who of [OPERATOR_SA, GADGET_SA]) {
    it.each((allowed[who] ?? []).map(([v, r, o]) => [`${v} ${r}${where(o)}`, v, r, o] as const))(
      `${who} may %s`,
      async (_, verb, resource, o) => {
        expect(await canI(who, verb, resource, o)).toBe(true);
      },
    );
    it.each((forbidden[who] ?? []).map(([v, r, o]) => [`${v} ${r}${where(o)}`, v, r, o] as const))(
      `${who} may not %s`,
      async (_, verb, resource, o) => {
        expect(await canI(who, verb, resource, o)).toBe(false);
      },
    );
  }
});
