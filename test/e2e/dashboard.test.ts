// The chart's Grafana dashboard against a real Prometheus: netgraph (the operator and one
// agent with its metrics port) traces a client Deployment calling a Service while
// Prometheus scrapes both; then every query of every panel, read from the dashboard JSON
// the chart ships, as Grafana sends it (the trace variable at All, $__rate_interval),
// returns data, and the service graph's frames hold the client -> Service edge.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClientService } from './client-service.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { OperatorPort } from './operator-port.js';
import { Prometheus } from './prometheus.js';
import { kubectl, nodeTool, type PodInfo, type PodProcess, podRun, repoRoot } from './testbed.js';
import { operate } from './traces.js';

const NS = 'dashboard-e2e';
const NODE = 'dashboard-node';
const DASHBOARD = join(repoRoot, 'charts/netgraph/dashboards/netgraph.json');

interface Panel {
  title: string;
  type: string;
  targets?: { refId: string; expr: string }[];
}

/** A panel query as Grafana sends it: All for $trace (its allValue), a rate window. */
const asGrafanaSends = (expr: string) =>
  expr.replaceAll('$trace', '.*').replaceAll('$__rate_interval', '30s');

let net: Netgraph;
let prometheus: Prometheus;
let client: PodInfo;
let clusterIP: string;
const procs: PodProcess[] = [];

const traffic = () =>
  podRun(
    client,
    nodeTool('tcp-client', [
      '--host',
      clusterIP,
      '--port',
      '80',
      '--bytes',
      '2000',
      '--count',
      '3',
    ]),
  );

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS], nodes: [NODE] });
  let echo: PodProcess;
  ({ client, clusterIP, echo } = await addClientService(NS, NODE, 'client-5d9f8', 'x7k2p'));
  procs.push(echo);
  net = await startNetgraph({ nodes: [NODE], agentArgs: ['--metrics-listen', '127.0.0.1:0'] });
  const [agent] = net.agents;
  // The operator's port is HTTPS and wants `get` on /metrics: scraped as Prometheus would.
  const op = await OperatorPort.of(net.operator);
  const ag = await agent?.waitLine((l) => l.msg === 'metrics listening');
  prometheus = await Prometheus.start([await op.scrapeTarget(), `127.0.0.1:${ag?.port}`]);

  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { name: 'dashboard', namespace: NS },
      spec: { node: NODE, gadget: 'network-graph', filter: { namespace: NS } },
    }),
  });
  await operate(NS, 'dashboard', 'start', (t) => (t.status?.nodes?.[NODE]?.pods ?? 0) >= 2);
  // Traffic in two rounds a few scrapes apart, so rate() has an increase to show.
  await traffic();
  await prometheus.until('netgraph_edge_bytes_total', (s) => s.length > 0);
  await new Promise((r) => setTimeout(r, 4000));
  await traffic();
}, 180_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), net?.stop(), ...procs.map((p) => p.kill())]);
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe("the chart's Grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };

  it('has the service graph, top talkers and bytes by namespace', () => {
    expect(dashboard.panels.map((p) => p.type)).toContain('nodeGraph');
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toContain('Top talkers (bytes/s)');
    expect(titles).toContain('Bytes by namespace');
  });

  it("draws the client's calls to the Service in the node graph's frames", async () => {
    const graph = dashboard.panels.find((p) => p.type === 'nodeGraph');
    // Grafana's node graph takes a frame with id, source, target (edges) and one with
    // id, title (nodes); the value becomes mainstat (the panel's organize transformation).
    const edgesExpr = asGrafanaSends(graph?.targets?.find((t) => t.refId === 'edges')?.expr ?? '');
    await traffic();
    const edges = await prometheus.until(edgesExpr, (s) => s.some((e) => e.value > 0));
    expect(edges).toContainEqual(
      expect.objectContaining({
        metric: expect.objectContaining({
          source: `${NS}/client`,
          target: `${NS}/server`,
          id: `${NS}/client -> ${NS}/server`,
        }),
      }),
    );
    const nodesExpr = asGrafanaSends(graph?.targets?.find((t) => t.refId === 'nodes')?.expr ?? '');
    const nodes = (await prometheus.query(nodesExpr)).map((n) => n.metric);
    expect(nodes).toContainEqual({ id: `${NS}/client`, title: `${NS}/client` });
    expect(nodes).toContainEqual({ id: `${NS}/server`, title: `${NS}/server` });
  });

  it('answers every panel query with data from netgraph scraped by a real Prometheus', async () => {
    const empty: string[] = [];
    for (const panel of dashboard.panels)
      for (const t of panel.targets ?? []) {
        const q = asGrafanaSends(t.expr);
        const got = await prometheus.until(q, (s) => s.length > 0, 30_000).catch(() => []);
        if (got.length === 0) empty.push(`${panel.title} (${t.refId}): ${q}`);
      }
    expect(empty).toEqual([]);
  }, 300_000);
});
