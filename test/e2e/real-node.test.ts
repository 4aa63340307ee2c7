// The user's path on a real node (a kubelet and containerd on the test bed): the image
// built here from the Dockerfile, the chart installed by helm, a server Deployment
// behind a Service and a client Deployment as real containers, the seed Trace, and
// the edges read with `kubectl logs` as a user reads them; a pod's edge named by the
// answer of a real resolver pod. hack/demo walks the same path.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Edge } from '../../api/edge.js';
import { EDGE_CONNECTIONS } from '../../api/metrics.js';
import { FINALIZER, type Trace } from '../../api/trace.js';
import { launchChromium, type PageHooks } from '../browser.js';
import { helmBinary } from '../chart-render.js';
import { clearChartLeftovers } from './chart-leftovers.js';
import { buildKubeRouter, consulted, type KubeRouter, startKubeRouter } from './kube-router.js';
import { Prometheus } from './prometheus.js';
import {
  addNode,
  addPod,
  addRealNode,
  clearNamespaces,
  delNode,
  delPod,
  jsonLines,
  kubeconfigPath,
  kubectl,
  nodeTool,
  podRun,
  repoRoot,
  spawnInPod,
  testbedScript,
  waitFor,
} from './testbed.js';
import { getTrace, operate } from './traces.js';

// The seed Trace names this node; the chart's namespace is the README's.
const NODE = 'albantyphoon-worker000003';
const NS = 'netgraph';
const SEED = join(repoRoot, 'test/fixtures/traces/seed-network-graph.yaml');
const OPERATOR = ['-n', NS, 'deploy/netgraph-operator'];
/** The resolver test's own namespace: its pods, its Trace and all its traffic stay there. */
const DNS_NS = 'real-node-dns';
/** Where the chart's NetworkPolicy expects Prometheus by default. */
const MONITORING_NS = 'monitoring';

type LogLine = Partial<Edge> & { msg?: string; level?: number };

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
        env: { ...process.env, KUBECONFIG: kubeconfigPath() },
      },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

let helm = '';
const helmRun = (args: string[]) => run(helm, args, 300_000);

/** The operator's log as `kubectl logs` returns it, parsed. */
async function operatorLog(): Promise<LogLine[]> {
  return jsonLines<LogLine>(await kubectl(['logs', ...OPERATOR]));
}

const edges = (lines: LogLine[]) => lines.filter((l) => l.msg === 'edge');

/**
 * `kubectl netgraph ui` as the README gives it: a proxy on 127.0.0.1, through the API
 * server (a port-forward to the operator's pod) with the kubeconfig's client certificate.
 */
function netgraphUi(): { url(): Promise<string>; stop(): void } {
  const ui = spawn(
    process.execPath,
    [join(repoRoot, 'bin/kubectl-netgraph.js'), 'ui', 'network-graph', '-n', 'gadget'],
    { env: { ...process.env, KUBECONFIG: kubeconfigPath() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let said = '';
  for (const out of [ui.stdout, ui.stderr])
    out?.on('data', (d: Buffer) => {
      said += d.toString();
    });
  return {
    url: () =>
      waitFor(async () => /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(said)?.[0], {
        timeoutMs: 60_000,
        what: `kubectl netgraph ui's URL (it said: ${said})`,
      }),
    stop: () => ui.kill('SIGINT'),
  };
}

async function podOf(ns: string, app: string): Promise<{ name: string; ip: string }> {
  const pods = JSON.parse(await kubectl(['get', 'pods', '-n', ns, '-l', app, '-o', 'json'])) as {
    items: { metadata: { name: string; deletionTimestamp?: string }; status: { podIP?: string } }[];
  };
  const p = pods.items.find((i) => !i.metadata.deletionTimestamp && i.status.podIP);
  if (!p?.status.podIP) throw new Error(`no running pod ${app} in ${ns}`);
  return { name: p.metadata.name, ip: p.status.podIP };
}

/** One TCP connection from a container (kubectl exec), closed at once; fails after 3 s. */
function connectFrom(from: string, host: string, port: number, ns = 'demo'): Promise<string> {
  const js = `const s=require('node:net').connect(${port},'${host}',()=>{s.end();console.log('connected')});s.on('error',e=>{console.error(e.message);process.exit(1)});s.setTimeout(3000,()=>{console.error('no answer in 3 s');process.exit(1)})`;
  return kubectl(['exec', '-n', ns, from, '--', 'node', '-e', js]);
}
const connectFromClient = (host: string, port: number) => connectFrom('deploy/client', host, port);
/** Whether `from` gets a connection to host:port. */
const reaches = (from: string, host: string, port: number) =>
  connectFrom(from, host, port).then(
    () => true,
    () => false,
  );

/** The first address of the node's pod range (spec.podCIDR, a /24 on the test bed): ptp's gateway. */
async function podRangeGateway(): Promise<string> {
  const podCIDR = (await kubectl(['get', 'node', NODE, '-o', 'jsonpath={.spec.podCIDR}'])).trim();
  const octets = (podCIDR.split('/')[0] ?? '').split('.').map(Number);
  if (octets.length !== 4) throw new Error(`node ${NODE} has no IPv4 spec.podCIDR: '${podCIDR}'`);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join('.');
}

let kubeRouter: KubeRouter | undefined;

async function stopKubeRouter(): Promise<void> {
  const k = kubeRouter;
  kubeRouter = undefined;
  await k?.stop();
}

beforeAll(async () => {
  await buildKubeRouter();
  helm = await helmBinary();
  const t0 = Date.now();
  await addRealNode(NODE);
  process.stderr.write(`[real-node] ${NODE} Ready in ${Date.now() - t0} ms\n`);
  const t1 = Date.now();
  await run(testbedScript, ['image', 'build'], 1_200_000);
  process.stderr.write(`[real-node] image built and loaded in ${Date.now() - t1} ms\n`);
  await clearChartLeftovers(NS);
  await clearNamespaces([NS, 'demo', 'gadget', DNS_NS, MONITORING_NS]);
  await helmRun([
    'install',
    'netgraph',
    join(repoRoot, 'charts/netgraph'),
    '-n',
    NS,
    '--create-namespace',
    '-f',
    join(repoRoot, 'hack/testbed.d/chart-values.yaml'),
    '--set',
    'gadget.interval=500ms',
    '--wait',
    '--timeout',
    '3m',
  ]);
  // As a user would: helm's --wait does not wait for a DaemonSet's pods to be Ready.
  for (const w of ['deploy/netgraph-operator', 'ds/netgraph-gadget'])
    await kubectl(['rollout', 'status', '-n', NS, w, '--timeout=120s'], { timeoutMs: 130_000 });
  await kubectl(['create', 'namespace', 'demo']);
  await kubectl(['create', 'namespace', 'gadget']);
  await kubectl(['apply', '-f', join(repoRoot, 'hack/demo.d/workloads.yaml')]);
  for (const d of ['server', 'client'])
    await kubectl(['rollout', 'status', '-n', 'demo', `deploy/${d}`, '--timeout=120s'], {
      timeoutMs: 130_000,
    });
}, 1_800_000);

afterAll(async () => {
  // Its chains and ipsets go even when a test failed; throws if any stays.
  await stopKubeRouter();
  await helmRun(['uninstall', 'netgraph', '-n', NS, '--wait']).catch(() => {});
  // While the kubelet runs: it confirms the pods' deletion, so the namespaces go (other
  // tests use `netgraph`); a pod bound to a node without a kubelet would stay Terminating.
  await kubectl(
    ['delete', 'trace', '--all', '-n', 'gadget', '--ignore-not-found', '--timeout=30s'],
    {
      timeoutMs: 40_000,
    },
  ).catch(() => {});
  await kubectl(
    [
      'delete',
      'namespace',
      'demo',
      'gadget',
      DNS_NS,
      MONITORING_NS,
      NS,
      '--ignore-not-found',
      '--timeout=120s',
    ],
    {
      timeoutMs: 130_000,
    },
  ).catch(() => {});
  await run(testbedScript, ['node', 'del', NODE], 120_000).catch(() => {});
}, 300_000);

describe('netgraph from its chart on a real node', () => {
  it('runs every netgraph pod Ready: the operator as the chart says, one agent, both under seccomp', async () => {
    const pods = JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-o', 'json'])) as {
      items: {
        metadata: { name: string; labels: Record<string, string> };
        spec: {
          nodeName: string;
          securityContext?: { runAsUser?: number; seccompProfile?: { type: string } };
        };
        status: { conditions?: { type: string; status: string }[] };
      }[];
    };
    const ready = (p: (typeof pods.items)[number]) =>
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const byComponent = (c: string) =>
      pods.items.filter((p) => p.metadata.labels['app.kubernetes.io/component'] === c);
    expect(byComponent('operator')).toHaveLength(1);
    expect(byComponent('gadget')).toHaveLength(1);
    for (const p of pods.items) {
      expect(ready(p)).toBe(true);
      expect(p.spec.nodeName).toBe(NODE);
    }
    expect(byComponent('operator')[0]?.spec.securityContext?.runAsUser).toBe(65532);
    // Both run under the runtime's default seccomp profile: asked for in the pod, and a
    // filter in force in the container (a process there reports seccomp mode 2, filtering).
    for (const c of ['operator', 'gadget']) {
      expect(byComponent(c)[0]?.spec.securityContext?.seccompProfile).toEqual({
        type: 'RuntimeDefault',
      });
      const status = await kubectl([
        'exec',
        '-n',
        NS,
        byComponent(c)[0]?.metadata.name ?? '',
        '--',
        'node',
        '-p',
        "require('node:fs').readFileSync('/proc/self/status', 'utf8')",
      ]);
      expect(status, c).toMatch(/^Seccomp:\s+2$/m);
    }
    // No 401/403 and no error in the operator's log: the projected token and the RBAC suffice.
    const bad = (await operatorLog()).filter((l) => (l.level ?? 0) >= 50);
    expect(bad).toEqual([]);
  });

  it("the agent listens on its node's address only, and writes nothing to its root filesystem", async () => {
    const nodeIP = (
      await kubectl([
        'get',
        'node',
        NODE,
        '-o',
        'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}',
      ])
    ).trim();
    // hostNetwork: the agent's listening socket is the node's, seen from the host.
    const listening = (await run('ss', ['-Hltn', 'sport = :9478'], 10_000))
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[3]);
    expect(listening).toEqual([`${nodeIP}:9478`]);
    const write = await kubectl([
      'exec',
      '-n',
      NS,
      'ds/netgraph-gadget',
      '--',
      'node',
      '-e',
      "try { require('node:fs').writeFileSync('/app/x', '') } catch (e) { console.log(e.code) }",
    ]);
    expect(write.trim()).toBe('EROFS');
  });

  it("the agent's own token cannot write another node's Lease: the API server refuses it", async () => {
    // Run in the agent's container with the token the kubelet mounted there.
    const forge = `const fs = require('node:fs'), https = require('node:https');
const sa = '/var/run/secrets/kubernetes.io/serviceaccount/';
const req = https.request({
  host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT,
  method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/${NS}/leases',
  ca: fs.readFileSync(sa + 'ca.crt'),
  headers: { authorization: 'Bearer ' + fs.readFileSync(sa + 'token', 'utf8'), 'content-type': 'application/json' },
}, (res) => { let t = ''; res.on('data', (c) => (t += c)); res.on('end', () => console.log(res.statusCode, JSON.parse(t).message)); });
req.end(JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
  metadata: { name: 'netgraph-agent-another-node' }, spec: { holderIdentity: 'another-node' } }));`;
    const out = await kubectl(['exec', '-n', NS, 'ds/netgraph-gadget', '--', 'node', '-e', forge]);
    expect(out.trim()).toMatch(
      new RegExp(
        `^403 .*denied request: an agent writes only the Lease of its own node, netgraph-agent-${NODE}, not netgraph-agent-another-node$`,
      ),
    );
  });

  it('starts the seed Trace and logs the client -> Service and server <- client edges', async () => {
    await kubectl(['apply', '-f', SEED]);
    const started = await operate(
      'gadget',
      'network-graph',
      'start',
      (t) => t.status?.nodes?.[NODE]?.pods === 2,
    );
    expect(started.status?.state).toBe('Started');
    const client = await podOf('demo', 'app=client');
    const server = await podOf('demo', 'app=server');
    // The client calls the Service every second (a new connection each time).
    const found = await waitFor(
      async () => {
        const e = edges(await operatorLog());
        const out = e.find(
          (x) =>
            x.pod === client.name &&
            x.pktType === 'OUTGOING' &&
            x.proto === 'tcp' &&
            x.remoteKind === 'svc',
        );
        const host = e.find(
          (x) =>
            x.pod === server.name &&
            x.pktType === 'HOST' &&
            x.proto === 'tcp' &&
            x.remoteKind === 'pod',
        );
        return out && host ? { out, host } : undefined;
      },
      { timeoutMs: 30_000, what: 'the client and server edges in kubectl logs' },
    );
    expect(found.out).toMatchObject({
      node: NODE,
      namespace: 'demo',
      remoteServiceNamespace: 'demo',
      remoteServiceName: 'server',
      port: 80,
      podOwner: 'client',
      podOwnerKind: 'Deployment',
      podLabels: { app: 'client' },
    });
    expect(found.host).toMatchObject({
      namespace: 'demo',
      ip: client.ip,
      port: 8080,
      remotePodNamespace: 'demo',
      remotePodName: client.name,
      remotePodLabels: { app: 'client' },
      podOwner: 'server',
    });
    // The server's readiness probe: the kubelet connects from the address ptp gives the node
    // in its pod range (the first one, the pods' gateway), which no pod holds. The edge keeps
    // Inspektor Gadget's remoteKind and remoteOther, and remoteName names the node.
    const gateway = await podRangeGateway();
    const probe = await waitFor(
      async () =>
        edges(await operatorLog()).find(
          (x) =>
            x.pod === server.name &&
            x.pktType === 'HOST' &&
            x.proto === 'tcp' &&
            x.port === 8080 &&
            x.ip === gateway,
        ),
      { timeoutMs: 30_000, what: `the readiness probe's edge from ${gateway}` },
    );
    expect(probe).toMatchObject({
      remoteKind: 'other',
      remoteOther: gateway,
      remoteName: `node/${NODE}`,
    });
    // The chart's RBAC and the projected token sufficed: nothing was refused on either side.
    const refused = /forbidden|unauthorized/i;
    const agentLog = await kubectl(['logs', '-n', NS, 'ds/netgraph-gadget']);
    const operatorText = await kubectl(['logs', ...OPERATOR]);
    expect(operatorText.split('\n').filter((l) => refused.test(l))).toEqual([]);
    expect(agentLog.split('\n').filter((l) => refused.test(l))).toEqual([]);
    // Under the runtime's seccomp profile every part of the agent worked: nothing logged
    // at warn or above (no attachment fallback, no "edges will carry no pid and comm").
    expect(jsonLines<LogLine>(agentLog).filter((l) => (l.level ?? 0) >= 40)).toEqual([]);
  });

  it('shows a new edge in `kubectl logs -f` within seconds of the traffic', async () => {
    const server = await podOf('demo', 'app=server');
    const follow = followOperator();
    try {
      await sleep(1500); // kubectl has attached to the stream
      const sent = Date.now();
      await connectFromClient(server.ip, 8080);
      const edge = await follow.waitFor(
        (l) =>
          l.msg === 'edge' && l.pktType === 'OUTGOING' && l.ip === server.ip && l.port === 8080,
        10_000,
      );
      process.stderr.write(
        `[real-node] new edge in kubectl logs -f ${Date.now() - sent} ms after the connection\n`,
      );
      expect(edge).toMatchObject({ remoteKind: 'pod', remotePodName: server.name });
    } finally {
      follow.stop();
    }
  });

  it('names an edge by the answer of a real resolver pod: remoteName, remoteNameSource dns', async () => {
    // The resolver runs test/e2e/tools/dns-server.mjs (from a ConfigMap) in the netgraph
    // image, which has Node; it answers a name with the address of a pod of the test's
    // namespace, and the traced client looks the name up there, then connects.
    const name = 'api.real-node.test';
    const tool = (f: string) => `--from-file=${join(repoRoot, 'test/e2e/tools', f)}`;
    const pod = (app: string, command: string[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: app, namespace: DNS_NS, labels: { app } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': NODE },
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: app,
            image: 'localhost/netgraph:dev',
            imagePullPolicy: 'Never',
            command,
            volumeMounts: [{ name: 'tools', mountPath: '/tools' }],
          },
        ],
        volumes: [{ name: 'tools', configMap: { name: 'dns-tools' } }],
      },
    });
    /** Starts the pod and waits until its program said it listens; its name and IP. */
    const running = async (app: string, command: string[], listening = /listening/) => {
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod(app, command)) });
      await kubectl(
        ['wait', '-n', DNS_NS, `pod/${app}`, '--for=condition=Ready', '--timeout=120s'],
        { timeoutMs: 130_000 },
      );
      await waitFor(
        async () => listening.test(await kubectl(['logs', '-n', DNS_NS, `pod/${app}`])),
        { timeoutMs: 30_000, what: `${app} listening` },
      );
      return podOf(DNS_NS, `app=${app}`);
    };
    try {
      await kubectl(['create', 'namespace', DNS_NS]);
      await kubectl([
        ...['create', 'configmap', 'dns-tools', '-n', DNS_NS],
        ...[tool('dns-server.mjs'), tool('dns-client.mjs')],
      ]);
      const target = await running('target', [
        ...['node', '-e'],
        "require('node:net').createServer((s) => s.end()).listen(8443, () => console.log('listening'))",
      ]);
      const resolver = await running('resolver', [
        ...['node', '/tools/dns-server.mjs', '--host', '0.0.0.0'],
        ...['--zone', JSON.stringify({ [name]: { A: [target.ip], ttl: 60 } })],
      ]);
      await running(
        'client',
        ['node', '-e', "console.log('up'); setInterval(() => {}, 1 << 30)"],
        /up/,
      );
      const trace = {
        apiVersion: 'gadget.kinvolk.io/v1alpha1',
        kind: 'Trace',
        metadata: { name: 'names', namespace: DNS_NS },
        spec: {
          node: NODE,
          gadget: 'network-graph',
          filter: { namespace: DNS_NS, podname: 'client' },
          outputMode: 'Stream',
        },
      };
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
      await operate(DNS_NS, 'names', 'start', (t) => t.status?.nodes?.[NODE]?.pods === 1);

      const answer = await kubectl([
        ...['exec', '-n', DNS_NS, 'client', '--'],
        ...['node', '/tools/dns-client.mjs', '--server', resolver.ip, '--name', name],
      ]);
      expect(JSON.parse(answer)).toMatchObject({ addresses: [target.ip] });
      await connectFrom('client', target.ip, 8443, DNS_NS);
      const edge = await waitFor(
        async () =>
          edges(await operatorLog()).find(
            (e) =>
              e.namespace === DNS_NS && e.pod === 'client' && e.ip === target.ip && e.port === 8443,
          ),
        { timeoutMs: 30_000, what: `the client's edge to ${target.ip}:8443 in kubectl logs` },
      );
      expect(edge).toMatchObject({
        pktType: 'OUTGOING',
        remoteKind: 'pod',
        remotePodName: 'target',
        remoteName: name,
        remoteNameSource: 'dns',
      });
      await operate(DNS_NS, 'names', 'stop', (t) => t.status?.state === 'Stopped');
    } finally {
      // The operator lets the Trace go while it runs; the kubelet then removes the pods.
      await kubectl(['delete', 'trace', '--all', '-n', DNS_NS, '--timeout=30s'], {
        timeoutMs: 40_000,
      }).catch(() => {});
      await kubectl(['delete', 'namespace', DNS_NS, '--wait=false']).catch(() => {});
    }
  });

  it('lets real pods, simulated pods and Services reach each other both ways', async () => {
    const sim = await addNode('real-node-peer');
    const peer = await addPod('real-node-peer/peer', { node: sim.name, labels: { app: 'peer' } });
    const listener = spawnInPod(peer, nodeTool('tcp-server', ['--port', '9000', '--no-echo']));
    try {
      await listener.waitForLine(/"listening"/);
      const client = await podOf('demo', 'app=client');
      // A real pod to a simulated one: the simulated side sees the real pod's address.
      await connectFromClient(peer.ip, 9000);
      const conn = await listener.waitForLine(/"conn"/);
      expect(JSON.parse(conn)).toMatchObject({ remote: client.ip });
      // A simulated pod to a real one through the Service's ClusterIP (kube-proxy's rules).
      const svc = JSON.parse(await kubectl(['get', 'svc', '-n', 'demo', 'server', '-o', 'json']))
        .spec.clusterIP as string;
      const out = await podRun(
        peer,
        nodeTool('tcp-client', ['--host', svc, '--port', '80', '--no-echo']),
      );
      expect(jsonLines(out).at(-1)).toMatchObject({ event: 'summary', ok: 1 });
    } finally {
      await listener.kill();
      await delPod(peer);
      await delNode(sim.name);
      await kubectl(['delete', 'namespace', 'real-node-peer', '--wait=false']).catch(() => {});
    }
  });

  /** The gadget DaemonSet's pod on the node, as `pod/<name>`. */
  const gadgetPod = async () =>
    (
      await kubectl([
        'get',
        'pods',
        '-n',
        NS,
        '-l',
        'app.kubernetes.io/component=gadget',
        '-o',
        'name',
      ])
    ).trim();

  it('carries on when the agent pod is deleted: the DaemonSet replaces it', async () => {
    const old = await gadgetPod();
    await kubectl(['delete', '-n', NS, old, '--wait=false']);
    // What a user sees meanwhile: the node's state in the Trace's status.
    const seen: string[] = [];
    await waitFor(
      async () => {
        const t = await getTrace('gadget', 'network-graph');
        const s = t.status?.nodes?.[NODE];
        const label = `${s?.state}${t.status?.operationWarning ? ` (warning: ${t.status.operationWarning})` : ''}`;
        if (seen.at(-1) !== label) seen.push(label);
        const now = await gadgetPod();
        return (
          now !== '' && now !== old && seen.length > 1 && s?.state === 'Started' && s.pods === 2
        );
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'the replaced agent attached again' },
    );
    process.stderr.write(
      `[real-node] node status while the agent was replaced: ${seen.join(' -> ')}\n`,
    );
    expect(seen.some((s) => !s.startsWith('Started'))).toBe(true);
    // The trace carries on: a connection made now is a new edge in the log.
    const before = edges(await operatorLog()).length;
    await connectFromClient('10.96.0.1', 443);
    await waitFor(
      async () =>
        edges(await operatorLog())
          .slice(before)
          .find((e) => e.pktType === 'OUTGOING' && e.remoteServiceName === 'kubernetes'),
      { timeoutMs: 15_000, what: 'an edge to the kubernetes Service after the agent came back' },
    );
    const t: Trace = await operate(
      'gadget',
      'network-graph',
      'stop',
      (x) => x.status?.state === 'Stopped',
    );
    expect(t.status?.edges).toBeGreaterThanOrEqual(3);
  });

  it('generates NetworkPolicies that kube-router enforces: the demo works, a stranger is refused', async () => {
    const t = await operate(
      'gadget',
      'network-graph',
      'generate',
      (x) => x.status?.policies !== undefined || !!x.status?.operationError,
    );
    expect(t.status?.operationError).toBeUndefined();
    const yaml = t.status?.output ?? '';
    const policies = parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .filter(Boolean);
    expect(policies).toHaveLength(t.status?.policies ?? -1);
    // The kubelet's probes come from the node's own address in its pod range (the ptp
    // gateway), which enrichment named: flagged as node traffic, not allowed as an ipBlock.
    const gateway = await podRangeGateway();
    expect(t.status?.operationWarning ?? '', yaml).toContain(
      `from ${gateway}:8080/TCP (node/${NODE})`,
    );
    expect(yaml).not.toContain(`cidr: ${gateway.split('.').slice(0, 3).join('.')}.`);
    const byName = new Map(policies.map((p) => [p.metadata.name, p.spec]));
    // The Deployments' own selectors; the Service's target port 8080, not its port 80.
    expect(byName.get('server-netgraph')).toMatchObject({
      podSelector: { matchLabels: { app: 'server' } },
      ingress: expect.arrayContaining([
        {
          from: expect.arrayContaining([{ podSelector: { matchLabels: { app: 'client' } } }]),
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ]),
    });
    expect(byName.get('client-netgraph')).toMatchObject({
      podSelector: { matchLabels: { app: 'client' } },
      egress: expect.arrayContaining([
        {
          to: expect.arrayContaining([{ podSelector: { matchLabels: { app: 'server' } } }]),
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ]),
    });
    await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml });
    await kubectl(['apply', '-f', '-'], { input: yaml });
    await kubectl(['apply', '-f', join(repoRoot, 'hack/demo.d/stranger.yaml')]);
    // Even when an assertion fails, so the next tests' pods are not refused.
    onTestFinished(async () => {
      await stopKubeRouter();
      await kubectl(['delete', '--ignore-not-found', '-f', '-'], { input: yaml });
      await kubectl(['delete', 'pod', '-n', 'demo', 'stranger', '--wait=false']);
    });
    await kubectl(
      ['wait', '-n', 'demo', 'pod/stranger', '--for=condition=Ready', '--timeout=120s'],
      {
        timeoutMs: 130_000,
      },
    );
    const server = await podOf('demo', 'app=server');
    const client = await podOf('demo', 'app=client');
    const svc = (
      await kubectl(['get', 'svc', '-n', 'demo', 'server', '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    // Not enforced yet: the stranger reaches the server.
    expect(await reaches('pod/stranger', svc, 80)).toBe(true);

    kubeRouter = startKubeRouter(NODE);
    await kubeRouter.programmed(policies.length, [`-d ${server.ip}/32`, `-s ${client.ip}/32`]);
    // The demo keeps working: the client through the Service and to the pod itself, and
    // its own calls every second still answered. kube-router's pod firewall hangs off
    // the host's FORWARD chain, which ptp-routed real pods' traffic crosses: its jump to
    // the server's chain counts these packets (so the policies were really consulted).
    await consulted(server.ip, async () => {
      expect(await reaches('deploy/client', svc, 80)).toBe(true);
    });
    expect(await reaches('deploy/client', server.ip, 8080)).toBe(true);
    await sleep(2500);
    const calls = (await kubectl(['logs', '-n', 'demo', 'deploy/client', '--since=2s'])).trim();
    expect(calls.split('\n').at(-1)).toMatch(/ 200$/);
    // The pod that never talked is refused, through the Service and directly.
    expect(await reaches('pod/stranger', svc, 80)).toBe(false);
    expect(await reaches('pod/stranger', server.ip, 8080)).toBe(false);
  });

  it("a real Prometheus scrapes the operator as the chart's ServiceMonitor says: HTTPS, a token, the pinned CA", async () => {
    // The endpoint the chart would give prometheus-operator, read from the chart itself.
    const rendered = await helmRun([
      'template',
      'netgraph',
      join(repoRoot, 'charts/netgraph'),
      '-n',
      NS,
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '-s',
      'templates/servicemonitor.yaml',
    ]);
    interface Endpoint {
      path: string;
      scheme: string;
      honorLabels?: boolean;
      tlsConfig: { serverName: string; ca: { configMap: { name: string; key: string } } };
    }
    const monitor = parseAllDocuments(rendered)[0]?.toJSON() as
      | { spec?: { endpoints?: Endpoint[] } }
      | undefined;
    const endpoint = monitor?.spec?.endpoints?.[0];
    if (!endpoint) throw new Error(`no endpoint in the rendered ServiceMonitor:\n${rendered}`);
    expect(endpoint.scheme).toBe('https');
    const { name: cm, key } = endpoint.tlsConfig.ca.configMap;
    const dir = mkdtempSync(join(tmpdir(), 'real-node-prometheus-'));
    const caFile = join(dir, 'ca.crt');
    const tokenFile = join(dir, 'token');
    writeFileSync(
      caFile,
      await kubectl([
        'get',
        'configmap',
        '-n',
        NS,
        cm,
        '-o',
        `jsonpath={.data.${key.replace('.', '\\.')}}`,
      ]),
    );
    // Prometheus's ServiceAccount holds get on /metrics, as kube-prometheus-stack grants it.
    await kubectl(['create', 'serviceaccount', '-n', NS, 'prometheus']).catch(() => {});
    await kubectl(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: real-node-prometheus }
rules: [{ nonResourceURLs: [/metrics], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: real-node-prometheus }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: real-node-prometheus }
subjects: [{ kind: ServiceAccount, name: prometheus, namespace: ${NS} }]
`,
    });
    writeFileSync(tokenFile, (await kubectl(['create', 'token', '-n', NS, 'prometheus'])).trim());
    const op = await podOf(NS, 'app.kubernetes.io/component=operator');
    const prometheus = await Prometheus.start([
      {
        address: `${op.ip}:9090`,
        caFile,
        tokenFile,
        serverName: endpoint.tlsConfig.serverName,
        path: endpoint.path,
        honorLabels: endpoint.honorLabels,
        // prometheus-operator labels a ServiceMonitor's targets with their pod's namespace and
        // name: without honorLabels, the traced workload's `namespace` would be renamed
        // `exported_namespace` and the README's queries would find nothing.
        labels: { namespace: NS, pod: op.name, service: 'netgraph-operator' },
      },
    ]);
    try {
      await prometheus.until('netgraph_operator_traces', (x) => x.length > 0);
      for (const target of await prometheus.targets())
        expect(target).toMatchObject({ health: 'up', lastError: '' });
      const demo = await prometheus.until(
        `${EDGE_CONNECTIONS}{namespace="demo",workload="client"}`,
        (x) => x.length > 0,
      );
      expect(demo[0]?.metric.exported_namespace).toBeUndefined();
    } finally {
      await prometheus.stop();
      await kubectl(['delete', 'clusterrole,clusterrolebinding', 'real-node-prometheus']).catch(
        () => {},
      );
    }
  });

  it('opens the graph page in Chromium through `kubectl netgraph ui`, and it draws the trace', async () => {
    const ui = netgraphUi();
    const browser = await launchChromium();
    try {
      const url = await ui.url();
      const page = await browser.context.newPage();
      await page.goto(url);
      const hooks = () =>
        page.evaluate(() => {
          const n = (window as unknown as { netgraph?: PageHooks }).netgraph;
          return n && { edges: n.shown().edges.length, painted: n.painted() };
        });
      const drawn = await waitFor(
        async () => {
          const h = await hooks();
          return h && h.edges > 0 && h.painted > 100 ? h : undefined;
        },
        { timeoutMs: 60_000, what: 'the trace drawn on the page' },
      );
      expect(drawn.edges).toBeGreaterThan(0);
      await page.screenshot({ path: join(repoRoot, 'test-results', 'real-node-graph-page.png') });
    } finally {
      await browser.close();
      ui.stop();
    }
  });

  it("the chart's NetworkPolicy, enforced: replicas, monitoring's Prometheus and `kubectl netgraph ui` reach the operator, other pods not", async () => {
    // Two replicas: each reads its peers' nodes from the other's pod IP.
    await kubectl(['scale', ...OPERATOR, '--replicas=2']);
    await kubectl(['rollout', 'status', ...OPERATOR, '--timeout=120s'], { timeoutMs: 130_000 });
    const ops = JSON.parse(
      await kubectl([
        'get',
        'pods',
        '-n',
        NS,
        '-l',
        'app.kubernetes.io/component=operator',
        '-o',
        'json',
      ]),
    ).items.map((p: { metadata: { name: string }; status: { podIP: string } }) => ({
      name: p.metadata.name,
      ip: p.status.podIP,
    })) as { name: string; ip: string }[];
    const [a, b] = ops;
    if (ops.length !== 2 || !a || !b) throw new Error(`operator pods: ${JSON.stringify(ops)}`);
    // The chart's default Prometheus peer: a pod labelled as kube-prometheus-stack labels its
    // Prometheus, in the namespace `monitoring`.
    await kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Namespace
metadata: { name: ${MONITORING_NS} }
---
apiVersion: v1
kind: Pod
metadata: { name: prometheus, namespace: ${MONITORING_NS}, labels: { app.kubernetes.io/name: prometheus } }
spec:
  nodeSelector: { kubernetes.io/hostname: ${NODE} }
  terminationGracePeriodSeconds: 1
  containers:
    - { name: prometheus, image: localhost/netgraph:dev, imagePullPolicy: Never, command: [node, -e, 'setInterval(() => {}, 1 << 30)'] }
`,
    });
    await kubectl(
      ['wait', '-n', MONITORING_NS, 'pod/prometheus', '--for=condition=Ready', '--timeout=120s'],
      { timeoutMs: 130_000 },
    );
    // Not enforced yet: the demo's client reaches the port.
    expect(await reaches('deploy/client', a.ip, 9090)).toBe(true);

    onTestFinished(async () => {
      await stopKubeRouter();
      await kubectl(['scale', ...OPERATOR, '--replicas=1']);
      await kubectl(['delete', 'namespace', MONITORING_NS, '--wait=false']);
    });
    kubeRouter = startKubeRouter(NODE);
    await kubeRouter.programmed(1, [`-d ${a.ip}/32`, `-d ${b.ip}/32`]);
    await consulted(a.ip, async () => {
      expect(await reaches('deploy/client', a.ip, 9090)).toBe(false);
    });
    const from = (pod: string, ns: string, ip: string) =>
      connectFrom(pod, ip, 9090, ns).then(
        () => true,
        () => false,
      );
    expect(await from('pod/prometheus', MONITORING_NS, a.ip)).toBe(true);
    expect(await from(`pod/${a.name}`, NS, b.ip)).toBe(true);
    expect(await from(`pod/${b.name}`, NS, a.ip)).toBe(true);
    // The plugin's port-forward connects on the pod's loopback, which no policy sees.
    const ui = netgraphUi();
    try {
      const url = await ui.url();
      const res = await fetch(new URL('/api/v1/traces', url), {
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('gadget/network-graph');
    } finally {
      ui.stop();
    }
  });

  it('leaves no netgraph pod after helm uninstall, and a Trace deleted then still goes', async () => {
    // The operator's finalizer is on the Trace: without the chart's uninstall hook it would hold it.
    expect((await getTrace('gadget', 'network-graph')).metadata.finalizers).toContain(FINALIZER);
    await helmRun(['uninstall', 'netgraph', '-n', NS, '--wait', '--timeout', '2m']);
    await waitFor(
      async () => (await kubectl(['get', 'pods', '-n', NS, '-o', 'name'])).trim() === '',
      { timeoutMs: 60_000, what: 'no pod left in the netgraph namespace' },
    );
    // kubectl delete waits until the object is gone: it fails if a finalizer holds it.
    await kubectl(['delete', 'trace', '-n', 'gadget', 'network-graph', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    await expect(getTrace('gadget', 'network-graph')).rejects.toThrow(/not ?found/i);
  });
});

/** `kubectl logs -f` of the operator, from now on, as parsed lines. */
function followOperator() {
  const child: ChildProcess = spawn(
    'kubectl',
    ['--kubeconfig', kubeconfigPath(), 'logs', '-f', '--tail=0', ...OPERATOR],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: LogLine[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...jsonLines<LogLine>(parts.join('\n')));
  });
  return {
    waitFor: (pred: (l: LogLine) => boolean, timeoutMs: number) =>
      waitFor(() => lines.find(pred), {
        timeoutMs,
        intervalMs: 50,
        what: 'a matching line in kubectl logs -f',
      }),
    stop: () => child.kill(),
  };
}
