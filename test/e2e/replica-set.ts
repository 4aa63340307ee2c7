// Several operator replicas on the test bed, as the chart runs them: each with its id, its
// own port advertised to the others and the one certificate they all serve; one real
// agent per simulated node, and a client and a TCP server pod on each node.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trace } from '../../api/trace.js';
import { selfSignedIdentity } from '../../lib/tls.js';
import { followersOf } from './agent-streams.js';
import { NETGRAPH_NS, OPERATOR_SA, type Proc, startOperator } from './netgraph.js';
import { type Agents, prepareTestbed, startNetgraph } from './on-testbed.js';
import {
  addPod,
  kubeconfigPath,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
  spawnInPod,
} from './testbed.js';
import { operate } from './traces.js';

export interface Pair {
  node: string;
  client: PodInfo;
  server: PodInfo;
}

export interface ReplicaSet {
  agents: Agents;
  operators: Map<string, Proc>;
  pairs: Pair[];
  /** The certificate every replica serves: what a client pins. */
  caFile: string;
  /** Which replicas follow the trace on each node now, by the agents' own logs. */
  followers(trace: string): Map<string, string[]>;
  /** Applies the Trace `shared` of the set's namespace and starts it: Started when `ok`. */
  startTrace(ok: (t: Trace) => boolean): Promise<Trace>;
  stop(): Promise<void>;
}

export const podName = (p: PodInfo): string => p.ref.slice(p.ref.indexOf('/') + 1);

/** `count` TCP connections of 100 bytes from the pair's client to its server. */
export const connect = (p: Pair, count: number): Promise<string> =>
  podRun(
    p.client,
    nodeTool('tcp-client', [
      '--host',
      p.server.ip,
      '--port',
      '8080',
      '--bytes',
      '100',
      '--count',
      String(count),
    ]),
  );

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export async function startReplicaSet(o: {
  namespace: string;
  nodes: string[];
  replicas: string[];
}): Promise<ReplicaSet> {
  const { namespace: ns, nodes } = o;
  await prepareTestbed({ namespaces: [ns], nodes });
  // What the chart grants the operator's ServiceAccount: a replica's port asks whether the
  // asking replica may get the Trace.
  for (const kind of ['role', 'rolebinding'])
    await kubectl([
      'create',
      kind,
      '-n',
      ns,
      'replica-trace-reader',
      ...(kind === 'role'
        ? ['--verb=get', '--resource=traces.gadget.kinvolk.io']
        : ['--role=replica-trace-reader', `--serviceaccount=${NETGRAPH_NS}:${OPERATOR_SA}`]),
    ]).catch(() => {});
  const pairs: Pair[] = [];
  const servers: PodProcess[] = [];
  for (const [i, node] of nodes.entries()) {
    const [client, server] = await Promise.all([
      addPod(`${ns}/client-${i + 1}`, { node, labels: { app: 'client' } }),
      addPod(`${ns}/server-${i + 1}`, { node, labels: { app: 'server' } }),
    ]);
    const s = spawnInPod(server, nodeTool('tcp-server', ['--port', '8080']));
    servers.push(s);
    await s.waitForLine(/listening/);
    pairs.push({ node, client, server });
  }
  // One certificate for every replica, as the chart's Secret gives them.
  const dir = mkdtempSync(join(tmpdir(), 'netgraph-replicas-'));
  const tls = selfSignedIdentity(['localhost', '127.0.0.1'], 'netgraph-operator');
  const [certFile, keyFile] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
  writeFileSync(certFile, tls.cert);
  writeFileSync(keyFile, tls.key);
  const agents = await startNetgraph({ nodes, operator: false });
  const operators = new Map<string, Proc>();
  for (const id of o.replicas) {
    const port = await freePort();
    operators.set(
      id,
      startOperator(kubeconfigPath(), {}, [
        '--replica-id',
        id,
        '--http-listen',
        `127.0.0.1:${port}`,
        '--advertise-url',
        `https://127.0.0.1:${port}`,
        '--tls-cert-file',
        certFile,
        '--tls-key-file',
        keyFile,
      ]),
    );
  }
  await Promise.all(
    [...operators.values()].map((p) => p.waitLine((l) => l.msg === 'operator started', 30_000)),
  );
  return {
    agents,
    operators,
    pairs,
    caFile: certFile,
    followers: (trace) =>
      new Map(agents.agents.map((a, i) => [nodes[i] as string, followersOf(a.lines, trace).now])),
    async startTrace(ok) {
      await kubectl(['apply', '-f', '-'], {
        input: `apiVersion: gadget.kinvolk.io/v1alpha1
kind: Trace
metadata: { name: shared, namespace: ${ns} }
spec: { gadget: network-graph, runMode: Manual, filter: { namespace: ${ns} } }
`,
      });
      return operate(ns, 'shared', 'start', ok);
    },
    async stop() {
      await Promise.all([
        ...[...operators.values()].map((p) => p.stop()),
        agents.stop(),
        ...servers.map((s) => s.kill()),
      ]);
      await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    },
  };
}
