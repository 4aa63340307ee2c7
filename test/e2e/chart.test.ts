// The Helm chart's life on a real node (a kubelet and containerd on the test bed), as a
// platform engineer lives it: `helm install` with its NOTES, every object carrying Helm's
// labels, the image on netgraph's Node; a Trace Ready to `kubectl wait`; a second release
// of the same name in another namespace beside it (its agents on other ports); `helm
// upgrade` with a changed value rolling the pods and keeping the certificate; a bad value
// refused by the schema, naming it; two operator replicas rolled by an upgrade while a
// Trace runs, the node never followed by both (the agent's log says); `helm uninstall`
// leaving nothing behind in the namespaces or the cluster.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmBinary } from '../chart-render.js';
import {
  addRealNode,
  clearNamespaces,
  kubeconfigPath,
  kubectl,
  repoRoot,
  testbedScript,
  waitFor,
} from './testbed.js';

// The test bed's chart values name this real node's containerd socket (gadget.runtimeSocket).
const NODE = 'albantyphoon-worker000003';
const RELEASE = 'netgraph';
const A = 'netgraph-a';
const B = 'netgraph-b';
// The README's namespace for Traces: trusted by default, so a Trace there traces any namespace.
const TRACES = 'gadget';
const VALUES = join(repoRoot, 'hack/testbed.d/chart-values.yaml');
const CHART = join(repoRoot, 'charts/netgraph');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs: number): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
        env: { ...process.env, KUBECONFIG: kubeconfigPath() },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(file: string, args: string[], timeoutMs = 300_000): Promise<string> {
  const r = await run(file, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

let helm = '';

interface Obj {
  kind: string;
  metadata: { name: string; uid: string; labels?: Record<string, string> };
}

const list = async (what: string, args: string[]): Promise<Obj[]> =>
  (JSON.parse(await kubectl(['get', what, ...args, '-o', 'json'])) as { items: Obj[] }).items;

async function rolledOut(ns: string): Promise<void> {
  for (const w of [`deploy/${RELEASE}-operator`, `ds/${RELEASE}-gadget`])
    await kubectl(['rollout', 'status', '-n', ns, w, '--timeout=180s'], { timeoutMs: 190_000 });
}

/** The release's pods by component, once exactly one of each runs and none is going. */
async function pods(ns: string): Promise<{ operator: Obj; gadget: Obj }> {
  return waitFor(
    async () => {
      const items = (await list('pods', ['-n', ns])) as (Obj & {
        metadata: { deletionTimestamp?: string };
      })[];
      const of = (c: string) =>
        items.filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === c);
      const [operator, gadget] = [of('operator'), of('gadget')];
      if (items.some((p) => p.metadata.deletionTimestamp)) return undefined;
      if (operator.length !== 1 || gadget.length !== 1) return undefined;
      return { operator: operator[0] as Obj, gadget: gadget[0] as Obj };
    },
    { timeoutMs: 120_000, what: `one operator and one agent pod in ${ns}` },
  );
}

/** The names of the release's N operator pods, once no other is left going. */
const operatorPods = (ns: string, n: number): Promise<string[]> =>
  waitFor(
    async () => {
      const items = (await list('pods', [
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/component=operator',
      ])) as (Obj & { metadata: { deletionTimestamp?: string } })[];
      if (items.length !== n || items.some((p) => p.metadata.deletionTimestamp)) return undefined;
      return items.map((p) => p.metadata.name).sort();
    },
    { timeoutMs: 120_000, what: `${n} operator pods in ${ns}` },
  );

beforeAll(async () => {
  helm = await helmBinary();
  await addRealNode(NODE);
  await ok(testbedScript, ['image', 'build'], 1_200_000);
  // What earlier files may have left: a namespace still terminating (its Traces' too),
  // and cluster-scoped objects of another release of this name.
  await clearNamespaces([A, B, TRACES]);
  await kubectl([
    'delete',
    'clusterrole,clusterrolebinding',
    '-l',
    `app.kubernetes.io/instance=${RELEASE}`,
    '--ignore-not-found',
  ]);
}, 1_800_000);

afterAll(async () => {
  for (const ns of [A, B]) await run(helm, ['uninstall', RELEASE, '-n', ns, '--wait'], 180_000);
  // While the kubelet runs, so the pods' deletion is confirmed and the namespaces go.
  await kubectl(['delete', 'namespace', A, B, '--ignore-not-found', '--timeout=120s'], {
    timeoutMs: 130_000,
  }).catch(() => {});
  await run(testbedScript, ['node', 'del', NODE], 120_000);
}, 600_000);

describe('the chart, installed, upgraded and uninstalled by helm on a real node', () => {
  it('installs with NOTES that say what to do next, every object labelled as Helm recommends', async () => {
    const out = await ok(helm, [
      'install',
      RELEASE,
      CHART,
      '-n',
      A,
      '--create-namespace',
      '-f',
      VALUES,
      '--wait',
      '--timeout',
      '4m',
    ]);
    expect(out).toContain(`kubectl rollout status -n ${A} deploy/${RELEASE}-operator`);
    expect(out).toContain('gadget.kinvolk.io/operation=start');
    await rolledOut(A);
    // The image runs netgraph's Node (the LTS line in .node-version), the one CI tests on.
    const node = await kubectl([
      'exec',
      '-n',
      A,
      `deploy/${RELEASE}-operator`,
      '--',
      'node',
      '--version',
    ]);
    expect(node.trim()).toBe(`v${readFileSync(join(repoRoot, '.node-version'), 'utf8').trim()}`);
    const objects = [
      ...(await list('deploy,ds,svc,sa,role,rolebinding', [
        '-n',
        A,
        '-l',
        `app.kubernetes.io/instance=${RELEASE}`,
      ])),
      ...(await list('clusterrole,clusterrolebinding', [
        '-l',
        `app.kubernetes.io/instance=${RELEASE}`,
      ])),
    ];
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        `ClusterRole/${RELEASE}-${A}-gadget`,
        `ClusterRole/${RELEASE}-${A}-operator`,
        `ClusterRoleBinding/${RELEASE}-${A}-gadget`,
        `ClusterRoleBinding/${RELEASE}-${A}-operator`,
        `DaemonSet/${RELEASE}-gadget`,
        `Deployment/${RELEASE}-operator`,
        `Role/${RELEASE}-gadget`,
        `Role/${RELEASE}-operator`,
        `RoleBinding/${RELEASE}-gadget`,
        `RoleBinding/${RELEASE}-operator`,
        `Service/${RELEASE}-operator`,
        `ServiceAccount/${RELEASE}-gadget`,
        `ServiceAccount/${RELEASE}-operator`,
      ].sort(),
    );
    for (const o of objects)
      expect(o.metadata.labels).toMatchObject({
        'helm.sh/chart': expect.stringMatching(/^netgraph-\d+\.\d+\.\d+/),
        'app.kubernetes.io/name': 'netgraph',
        'app.kubernetes.io/instance': RELEASE,
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/version': expect.any(String),
      });
  }, 600_000);

  it('runs a Trace, Ready as kubectl wait sees it, and no longer Ready once stopped', async () => {
    await kubectl(['create', 'namespace', TRACES]).catch(() => {});
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'gadget.kinvolk.io/v1alpha1',
        kind: 'Trace',
        metadata: { name: 'chart', namespace: TRACES },
        // The release's own namespace traced, on the real node (other tests' simulated
        // nodes may be Ready here, with no agent).
        spec: { node: NODE, gadget: 'network-graph', filter: { namespace: A } },
      }),
    });
    await kubectl(['annotate', '-n', TRACES, 'trace/chart', 'gadget.kinvolk.io/operation=start']);
    await kubectl(['wait', '-n', TRACES, 'trace/chart', '--for=condition=Ready', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    const ready = await kubectl([
      'get',
      'trace',
      '-n',
      TRACES,
      'chart',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].message}',
    ]);
    expect(ready).toBe('running on 1 of 1 node');
    await kubectl(['annotate', '-n', TRACES, 'trace/chart', 'gadget.kinvolk.io/operation=stop']);
    await kubectl(
      ['wait', '-n', TRACES, 'trace/chart', '--for=condition=Ready=false', '--timeout=60s'],
      {
        timeoutMs: 70_000,
      },
    );
    // Gone while the operator runs, so its finalizer goes too; the next release must not see it.
    await kubectl(['delete', 'namespace', TRACES, '--timeout=60s'], { timeoutMs: 70_000 });
  }, 300_000);

  it('installs a second release of the same name in another namespace beside the first', async () => {
    // Its agents share the node's network with the first's: other ports.
    await ok(helm, [
      'install',
      RELEASE,
      CHART,
      '-n',
      B,
      '--create-namespace',
      '-f',
      VALUES,
      '--set',
      'gadget.port=9488',
      '--wait',
      '--timeout',
      '4m',
    ]);
    await rolledOut(B);
    await rolledOut(A);
    // Each release's agent announced itself to its own operator: a Lease in each namespace.
    for (const ns of [A, B])
      await waitFor(
        async () =>
          (await list('leases', ['-n', ns])).some(
            (l) => l.metadata.name === `netgraph-agent-${NODE}`,
          ),
        { timeoutMs: 60_000, what: `the agent's Lease in ${ns}` },
      );
    const roles = (await list('clusterrole', ['-l', `app.kubernetes.io/instance=${RELEASE}`])).map(
      (r) => r.metadata.name,
    );
    expect(roles).toEqual(
      expect.arrayContaining([`${RELEASE}-${A}-operator`, `${RELEASE}-${B}-operator`]),
    );
  }, 600_000);

  it('rolls the pods when an upgrade changes a value, keeping the certificate clients pin', async () => {
    const before = await pods(A);
    const served = () =>
      kubectl([
        'get',
        'secret',
        '-n',
        A,
        `${RELEASE}-operator-tls`,
        '-o',
        'jsonpath={.data.tls\\.crt} {.data.ca\\.crt}',
      ]);
    const certBefore = await served();
    await ok(helm, [
      'upgrade',
      RELEASE,
      CHART,
      '-n',
      A,
      '--reuse-values',
      '--set',
      'logLevel=debug',
      '--wait',
      '--timeout',
      '4m',
    ]);
    await rolledOut(A);
    const after = await pods(A);
    expect(after.operator.metadata.uid).not.toBe(before.operator.metadata.uid);
    expect(after.gadget.metadata.uid).not.toBe(before.gadget.metadata.uid);
    // The new pods run with the new value.
    const env = await kubectl([
      'get',
      'pod',
      '-n',
      A,
      after.operator.metadata.name,
      '-o',
      'jsonpath={.spec.containers[0].env[?(@.name=="NETGRAPH_LOG_LEVEL")].value}',
    ]);
    expect(env).toBe('debug');
    // The chart's certificate is the one it made at install (Helm's lookup), and what the
    // new pod published for clients to pin is its CA.
    const certAfter = await served();
    expect(certAfter).toBe(certBefore);
    const published = await kubectl([
      'get',
      'configmap',
      '-n',
      A,
      `${RELEASE}-operator-cert`,
      '-o',
      'jsonpath={.data.ca\\.crt}',
    ]);
    expect(published).toBe(Buffer.from(certAfter.split(' ')[1] ?? '', 'base64').toString());
  }, 600_000);

  it('refuses a bad value by the schema, naming it, and leaves the release as it was', async () => {
    const r = await run(
      helm,
      ['upgrade', RELEASE, CHART, '-n', A, '--reuse-values', '--set', 'image.pullPolicy=Sometimes'],
      120_000,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('image.pullPolicy');
    const history = JSON.parse(await ok(helm, ['history', RELEASE, '-n', A, '-o', 'json'])) as {
      status: string;
    }[];
    expect(history.map((h) => h.status)).toEqual(['superseded', 'deployed']);
  });

  it('hands the node over without overlap as an upgrade rolls two replicas, a Trace running', async () => {
    await ok(helm, [
      'upgrade',
      RELEASE,
      CHART,
      '-n',
      A,
      '--reuse-values',
      '--set',
      'operator.replicas=2',
      '--wait',
      '--timeout',
      '4m',
    ]);
    await rolledOut(A);
    await kubectl(['create', 'namespace', TRACES]).catch(() => {});
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'gadget.kinvolk.io/v1alpha1',
        kind: 'Trace',
        metadata: { name: 'rolling', namespace: TRACES },
        spec: { node: NODE, gadget: 'network-graph', filter: { namespace: A } },
      }),
    });
    await kubectl(['annotate', '-n', TRACES, 'trace/rolling', 'gadget.kinvolk.io/operation=start']);
    const ready = ['wait', '-n', TRACES, 'trace/rolling', '--for=condition=Ready', '--timeout=60s'];
    await kubectl(ready, { timeoutMs: 70_000 });
    const before = await operatorPods(A, 2);

    // An operator-only change: both replicas replaced, one new pod at a time.
    await ok(helm, [
      'upgrade',
      RELEASE,
      CHART,
      '-n',
      A,
      '--reuse-values',
      '--set',
      'operator.podAnnotations.rolled=yes',
      '--wait',
      '--timeout',
      '4m',
    ]);
    await rolledOut(A);
    const after = await operatorPods(A, 2);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    await kubectl(ready, { timeoutMs: 70_000 });

    // The agent's own log of who followed the trace's stream, in order (replica: pod name).
    const [agent] = await list('pods', ['-n', A, '-l', 'app.kubernetes.io/component=gadget']);
    const log = await kubectl(['logs', '-n', A, `pod/${agent?.metadata.name}`]);
    const open: string[] = [];
    const followed: string[] = [];
    for (const line of log.split('\n')) {
      if (!line.startsWith('{')) continue;
      const l = JSON.parse(line) as { msg: string; trace?: string; replica?: string };
      if (l.trace !== `${TRACES}/rolling`) continue;
      if (l.msg === 'stream opened') {
        open.push(l.replica ?? '');
        followed.push(l.replica ?? '');
        expect(open, 'two replicas followed the node at once').toHaveLength(1);
      }
      if (l.msg === 'stream closed') open.splice(open.indexOf(l.replica ?? ''), 1);
    }
    // Followed first by an old replica and at the end by exactly one new one.
    expect(before).toContain(followed[0]);
    expect(open).toHaveLength(1);
    expect(after).toContain(open[0]);

    await kubectl(['annotate', '-n', TRACES, 'trace/rolling', 'gadget.kinvolk.io/operation=stop']);
    await kubectl(['delete', 'namespace', TRACES, '--timeout=60s'], { timeoutMs: 70_000 });
  }, 900_000);

  it('leaves nothing behind after helm uninstall, in the namespaces or the cluster', async () => {
    for (const ns of [A, B])
      await ok(helm, ['uninstall', RELEASE, '-n', ns, '--wait', '--timeout', '3m']);
    // What a namespace holds of its own (the default ServiceAccount, the root CA) stays.
    const leftIn = async (ns: string) =>
      (await list('all,sa,role,rolebinding,cm,secret,lease,job,networkpolicy', ['-n', ns]))
        .filter((o) => !['default', 'kube-root-ca.crt'].includes(o.metadata.name))
        .map((o) => `${o.kind}/${o.metadata.name}`);
    for (const ns of [A, B]) {
      // The uninstall Job removes what the release's processes made; give it its time.
      const left = await waitFor(async () => ((await leftIn(ns)).length === 0 ? [] : undefined), {
        timeoutMs: 120_000,
        what: `${ns} to hold nothing of netgraph`,
      }).catch(() => leftIn(ns));
      expect(left).toEqual([]);
    }
    const cluster = (await list('clusterrole,clusterrolebinding', [])).filter((o) =>
      o.metadata.name.startsWith(`${RELEASE}-`),
    );
    expect(cluster.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  }, 600_000);
});
