// TCX attach mode on the test bed: a Trace with spec.parameters.attach: tcx is
// attached on the pods' host-side veths (the test bed wires pods as Calico does),
// counts the same edges, and an edge from the pod that opened the connection
// names its process (pid and comm), in the log stream and in status.output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { nodeMainThreadComm } from '../node-comm.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { addPod, kubectl, nodeTool, type PodInfo, type PodProcess, spawnInPod } from './testbed.js';
import { operate } from './traces.js';

const NS = 'tcx';
const NODE = 'tcx-node';
let net: Netgraph;
let agent: Proc;
let client: PodInfo;
let server: PodInfo;
const procs: PodProcess[] = [];

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS], nodes: [NODE] });
  [client, server] = await Promise.all([
    addPod(`${NS}/client`, { node: NODE, labels: { app: 'client' } }),
    addPod(`${NS}/server`, { node: NODE, labels: { app: 'server' } }),
  ]);
  const echo = spawnInPod(server, nodeTool('tcp-server', ['--port', '8080']));
  procs.push(echo);
  await echo.waitForLine(/listening/);
  net = await startNetgraph({ nodes: [NODE] });
  [agent] = net.agents as [Proc];
}, 180_000);

afterAll(async () => {
  await Promise.all([net?.stop(), ...procs.map((p) => p.kill())]);
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('attach: tcx on the test bed', () => {
  it('counts on the host-side veths and names the connecting process', async () => {
    const trace = {
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { name: 'by-tcx', namespace: NS },
      spec: {
        node: NODE,
        gadget: 'network-graph',
        filter: { namespace: NS },
        outputMode: 'Status',
        parameters: { attach: 'tcx' },
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
    await operate(NS, 'by-tcx', 'start', (t) => t.status?.nodes?.[NODE]?.pods === 2);
    // Both pods attached with TCX, none fell back.
    for (const pod of ['tcx/client', 'tcx/server'])
      await agent.waitLine((l) => l.msg === 'attached' && l.pod === pod && l.mode === 'tcx');

    const conn = spawnInPod(
      client,
      nodeTool('tcp-client', [
        '--host',
        server.ip,
        '--port',
        '8080',
        '--bytes',
        '3000',
        '--count',
        '2',
      ]),
    );
    procs.push(conn);
    expect(await conn.exited).toBe(0);
    const logged = await net.operator.waitLine(
      (l) => l.trace === `${NS}/by-tcx` && l.pod === 'client' && l.pktType === 'OUTGOING',
    );
    expect(logged).toMatchObject({ ip: server.ip, port: 8080, remotePodName: 'server' });
    await new Promise((r) => setTimeout(r, 1000));

    const stopped = await operate(NS, 'by-tcx', 'stop', (t) => t.status?.state === 'Stopped');
    expect(stopped.status?.operationWarning ?? null).toBeNull();
    const edges = JSON.parse(stopped.status?.output ?? '[]') as Edge[];
    const out = edges.find((e) => e.pod === 'client' && e.pktType === 'OUTGOING');
    const inn = edges.find((e) => e.pod === 'server' && e.pktType === 'HOST');
    expect(out).toMatchObject({
      connections: 2,
      pid: conn.pid,
      comm: nodeMainThreadComm(),
      port: 8080,
    });
    // 3000 bytes each way per connection (an echo), headers on top.
    expect(out?.bytesSent).toBeGreaterThan(6000);
    expect(out?.bytesReceived).toBeGreaterThan(6000);
    expect(inn).toMatchObject({ connections: 2, ip: client.ip });
    expect(inn?.bytesReceived).toBe(out?.bytesSent);
    expect(inn).not.toHaveProperty('pid');
  });
});
