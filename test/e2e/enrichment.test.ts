// Every edge knows what is on its other end, on the test bed: the path Inspektor
// Gadget's own integration test checked (client -> Service -> server), owners
// walked through ownerReferences, node addresses, and Pixie's groupBy namespace.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { addDeployment } from './owners.js';
import {
  addPod,
  kubectl,
  type NodeInfo,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
  spawnInPod,
} from './testbed.js';
import { operate } from './traces.js';

const NS = 'enrich';
const NODE = 'enrich-node';
let node: NodeInfo;
let net: Netgraph;
let operator: Proc;
const procs: PodProcess[] = [];
let onNode: ChildProcess;
let client: PodInfo;
let server: PodInfo;
let web: PodInfo;
let clusterIP: string;
type Line = Record<string, unknown>;

async function startTrace(name: string, spec: Record<string, unknown> = {}): Promise<void> {
  const trace = {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name, namespace: NS },
    spec: { node: NODE, gadget: 'network-graph', filter: { namespace: NS }, ...spec },
  };
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
  await operate(NS, name, 'start', (t) => t.status?.nodes?.[NODE]?.pods === 3);
}

const stopTrace = (name: string) => operate(NS, name, 'stop', (t) => t.status?.state === 'Stopped');

beforeAll(async () => {
  [node] = (await prepareTestbed({ namespaces: [NS], nodes: [NODE] })) as [NodeInfo];
  await addDeployment(NS, 'web', 'web-5d8f7c');
  [client, server, web] = await Promise.all([
    addPod(`${NS}/client`, { node: NODE, labels: { app: 'client', tier: 'front' } }),
    addPod(`${NS}/server`, { node: NODE, labels: { app: 'server' } }),
    addPod(`${NS}/web-5d8f7c-x2x9q`, {
      node: NODE,
      labels: { app: 'web' },
      owner: 'ReplicaSet/web-5d8f7c',
    }),
  ]);
  await kubectl(['create', 'service', 'clusterip', 'server', '-n', NS, '--tcp=80:8080']);
  clusterIP = (
    await kubectl(['get', 'svc', '-n', NS, 'server', '-o', 'jsonpath={.spec.clusterIP}'])
  ).trim();
  const echo = spawnInPod(server, nodeTool('tcp-server', ['--port', '8080']));
  procs.push(echo);
  // A server on the node's own address, outside every pod: on the host itself.
  const [cmd, ...args] = nodeTool('tcp-server', ['--port', '9099', '--host', node.ip]);
  onNode = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => onNode.stdout?.once('data', resolve));
  await echo.waitForLine(/listening/);
  net = await startNetgraph({ nodes: [NODE] });
  ({ operator } = net);
}, 180_000);

afterAll(async () => {
  onNode?.kill();
  await Promise.all([net?.stop(), ...procs.map((p) => p.kill())]);
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('enrichment on the test bed', () => {
  it('client -> Service: svc at the client, pod at the server, owners walked', async () => {
    await startTrace('kinds');
    await podRun(client, nodeTool('tcp-client', ['--host', clusterIP, '--port', '80']));
    await podRun(web, nodeTool('tcp-client', ['--host', server.ip, '--port', '8080']));
    await podRun(client, nodeTool('tcp-client', ['--host', node.ip, '--port', '9099']));
    const mine = (pred: (l: Line) => boolean) =>
      operator.waitLine((l) => l.trace === `${NS}/kinds` && pred(l));

    const atClient = await mine(
      (l) => l.pod === 'client' && l.pktType === 'OUTGOING' && l.ip === clusterIP,
    );
    expect(atClient).toMatchObject({
      proto: 'tcp',
      port: 80,
      remoteKind: 'svc',
      remoteServiceNamespace: NS,
      remoteServiceName: 'server',
      remoteServiceLabelSelector: { app: 'server' },
      podIP: client.ip,
      podHostIP: node.ip,
      podLabels: { app: 'client', tier: 'front' },
    });
    const atServer = await mine(
      (l) => l.pod === 'server' && l.pktType === 'HOST' && l.ip === client.ip,
    );
    expect(atServer).toMatchObject({
      proto: 'tcp',
      port: 8080,
      remoteKind: 'pod',
      remotePodNamespace: NS,
      remotePodName: 'client',
      remotePodLabels: { app: 'client', tier: 'front' },
    });
    const fromWeb = await mine((l) => l.pod === 'web-5d8f7c-x2x9q' && l.ip === server.ip);
    expect(fromWeb).toMatchObject({
      podOwner: 'web',
      podOwnerKind: 'Deployment',
      remoteKind: 'pod',
      remotePodName: 'server',
    });
    const toNode = await mine((l) => l.pod === 'client' && l.ip === node.ip);
    expect(toNode).toMatchObject({
      remoteKind: 'other',
      remoteOther: node.ip,
      remoteName: `node/${NODE}`,
      port: 9099,
    });
    await stopTrace('kinds');
  });

  it('groupBy namespace sums the bytes of the pod edges it groups', async () => {
    // Two traces on the same pods at once: one per pod, one grouped by namespace.
    await startTrace('by-pod', { outputMode: 'Status' });
    await startTrace('by-ns', { outputMode: 'Status', parameters: { groupBy: 'namespace' } });
    for (const bytes of ['1000', '3000']) {
      await podRun(
        client,
        nodeTool('tcp-client', ['--host', server.ip, '--port', '8080', '--bytes', bytes]),
      );
    }
    await podRun(
      web,
      nodeTool('tcp-client', ['--host', clusterIP, '--port', '80', '--bytes', '500']),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const byPod = JSON.parse((await stopTrace('by-pod')).status?.output ?? '[]') as Line[];
    const byNs = JSON.parse((await stopTrace('by-ns')).status?.output ?? '[]') as Line[];

    const outgoing = byPod.filter(
      (e) => e.pktType === 'OUTGOING' && e.proto === 'tcp' && e.namespace === NS,
    );
    const group = byNs.filter(
      (e) => e.pktType === 'OUTGOING' && e.group === NS && e.remoteGroup === NS,
    );
    expect(outgoing.length).toBeGreaterThanOrEqual(2);
    expect(group.length).toBeGreaterThanOrEqual(1);
    const sum = (es: Line[], f: string) => es.reduce((n, e) => n + Number(e[f] ?? 0), 0);
    for (const f of ['connections', 'bytesSent', 'bytesReceived', 'bytesTotal']) {
      expect(sum(group, f), f).toBe(sum(outgoing, f));
    }
    // 4,500 payload bytes went out in three connections, headers on top.
    expect(sum(group, 'connections')).toBe(3);
    expect(sum(group, 'bytesSent')).toBeGreaterThan(4500);
  });
});
