// The graph in a real Prometheus (Debian's package, started here against the operator's
// /metrics): the bytes of a client -> Service edge as the log stream reported them, the
// service graph by workload without an IP label, ngraph's names, a deleted workload's
// series gone after the grace period (and not before), the series cap under a flood of
// distinct peers, promtool's lint, and a bad Trace parameter refused in status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClientService } from './client-service.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { OperatorPort } from './operator-port.js';
import { Prometheus, promtoolCheckMetrics } from './prometheus.js';
import {
  addPod,
  delPod,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
} from './testbed.js';
import { operate, waitTrace } from './traces.js';

const NS = 'metrics-e2e';
const NODE = 'metrics-node';
const GRACE_S = 5;
const MAX_SERIES = 300;
let net: Netgraph;
let operator: Proc;
let agent: Proc;
let prometheus: Prometheus;
let port: OperatorPort;
let agentMetricsUrl: string;
let client: PodInfo;
let server: PodInfo;
let lonely: PodInfo;
let flood: PodInfo;
let clusterIP: string;
const procs: PodProcess[] = [];
type Line = Record<string, unknown>;

async function startTrace(name: string, parameters?: Record<string, string>): Promise<void> {
  const trace = {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name, namespace: NS },
    spec: { node: NODE, gadget: 'network-graph', filter: { namespace: NS }, parameters },
  };
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
  await operate(NS, name, 'start', (t) => (t.status?.nodes?.[NODE]?.pods ?? 0) >= 3);
}

const stopTrace = (name: string) => operate(NS, name, 'stop', (t) => t.status?.state === 'Stopped');

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS], nodes: [NODE] });
  let echo: PodProcess;
  ({ client, server, clusterIP, echo } = await addClientService(NS, NODE, 'client-6b7c9', 'q4x2z'));
  procs.push(echo);
  [lonely, flood] = await Promise.all([
    addPod(`${NS}/lonely`, { node: NODE, labels: { app: 'lonely' } }),
    addPod(`${NS}/flood`, { node: NODE, labels: { app: 'flood' } }),
  ]);
  net = await startNetgraph({
    nodes: [NODE],
    agentArgs: ['--metrics-listen', '127.0.0.1:0'],
    operatorArgs: [
      '--metrics-grace',
      `${GRACE_S}s`,
      '--metrics-max-series',
      String(MAX_SERIES),
      '--metrics-peer-prefix',
      '32',
    ],
  });
  ({ operator } = net);
  [agent] = net.agents as [Proc];
  port = await OperatorPort.of(operator);
  const agentListening = await agent.waitLine((l) => l.msg === 'metrics listening');
  agentMetricsUrl = `http://127.0.0.1:${agentListening.port}/metrics`;
  prometheus = await Prometheus.start([
    await port.scrapeTarget(),
    `127.0.0.1:${agentListening.port}`,
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), net?.stop(), ...procs.map((p) => p.kill())]);
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('metrics in a real Prometheus', () => {
  it('scrapes the operator and the agent: both targets are up', async () => {
    await prometheus.until(
      'up{job="netgraph"}',
      (s) => s.length === 2 && s.every((x) => x.value === 1),
    );
    for (const target of await prometheus.targets())
      expect(target).toMatchObject({ health: 'up', lastError: '' });
  });

  it('returns the bytes the log stream reported, by workload, with no IP label', async () => {
    await startTrace('bytes');
    await podRun(
      client,
      nodeTool('tcp-client', [
        '--host',
        clusterIP,
        '--port',
        '80',
        '--bytes',
        '3000',
        '--count',
        '2',
      ]),
    );
    await new Promise((r) => setTimeout(r, 1500));
    const from = operator.lines.length;
    await stopTrace('bytes');
    const total = (await operator.waitLine(
      (l) =>
        l.msg === 'edge total' &&
        l.trace === `${NS}/bytes` &&
        l.pod === client.ref.split('/')[1] &&
        l.ip === clusterIP,
      20_000,
      from,
    )) as Line & { bytesSent: number; bytesReceived: number; connections: number };
    expect(total.bytesSent).toBeGreaterThanOrEqual(6000);

    const edge = `namespace="${NS}",workload="client",workload_kind="Deployment",pkt_type="OUTGOING",remote_kind="svc",remote_namespace="${NS}",remote_workload="server",port="80",proto="tcp",trace="${NS}/bytes"`;
    const sent = await prometheus.until(
      `netgraph_edge_bytes_total{${edge},direction="sent"}`,
      (s) => s[0]?.value === total.bytesSent,
    );
    expect(sent).toHaveLength(1);
    const received = await prometheus.query(
      `netgraph_edge_bytes_total{${edge},direction="received"}`,
    );
    expect(received[0]?.value).toBe(total.bytesReceived);
    expect((await prometheus.query(`netgraph_edge_connections_total{${edge}}`))[0]?.value).toBe(2);

    // The service graph by workload, as the README shows it: no IP, no pod name.
    const graph = await prometheus.query(
      `sum by (namespace, workload, remote_namespace, remote_workload) (netgraph_edge_bytes_total{namespace="${NS}",pkt_type="OUTGOING"})`,
    );
    expect(graph.map((s) => s.metric)).toContainEqual({
      namespace: NS,
      workload: 'client',
      remote_namespace: NS,
      remote_workload: 'server',
    });
    for (const optIn of ['pod', 'pod_ip', 'remote_pod', 'remote_ip'])
      expect(
        await prometheus.query(`{__name__=~"netgraph_edge_.*",namespace="${NS}",${optIn}!=""}`),
      ).toEqual([]);

    // ngraph's names, ngraph's labels: the client's connections to the Service's address.
    const ngraph = await prometheus.query(
      `network_connections_output_total{src_ip="${client.ip}",dest_ip="${clusterIP}"}`,
    );
    expect(ngraph).toEqual([
      { metric: expect.objectContaining({ peer_hostname: `${NS}/server` }), value: 2 },
    ]);
    // The server accepted them from the client's address (kube-proxy translated the Service).
    await prometheus.until(
      `network_connections_input_total{src_ip="${client.ip}",dest_ip="${server.ip}"}`,
      (s) => s[0]?.value === 2,
    );
  });

  it("passes promtool check metrics, the operator's and the agent's", async () => {
    const text = (await port.get('/metrics')).text;
    expect(text).toContain('netgraph_edge_bytes_total{');
    expect(await promtoolCheckMetrics(text)).toBe('');
    const agentText = await (await fetch(agentMetricsUrl)).text();
    expect(agentText).toContain('netgraph_agent_drain_seconds_count');
    expect(await promtoolCheckMetrics(agentText)).toBe('');
  });

  it("shows the operator's and the agent's health", async () => {
    await startTrace('health');
    const [agents] = await prometheus.until('netgraph_operator_agents', (s) => s[0]?.value === 1);
    expect(agents?.value).toBe(1);
    await prometheus.until('netgraph_operator_traces', (s) => (s[0]?.value ?? 0) >= 1);
    // client, server, lonely and flood: one attachment each, however many traces.
    await prometheus.until('netgraph_agent_attached_pods', (s) => s[0]?.value === 4);
    await prometheus.until('netgraph_agent_traces', (s) => (s[0]?.value ?? 0) >= 1);
    await prometheus.until('netgraph_agent_map_memory_bytes', (s) => (s[0]?.value ?? 0) > 0);
    await prometheus.until('netgraph_agent_drain_seconds_count', (s) => (s[0]?.value ?? 0) > 0);
    await prometheus.until(
      'rate(netgraph_operator_edges_total{kind="new"}[1m])',
      (s) => s.length === 1,
    );
    await stopTrace('health');
  });

  it("removes a deleted workload's series after the grace period, and not before", async () => {
    await startTrace('gone');
    await podRun(lonely, nodeTool('tcp-client', ['--host', server.ip, '--port', '8080']));
    const mine = `{trace="${NS}/gone",workload="lonely"}`;
    const theirs = `{trace="${NS}/gone",workload="server",remote_workload="lonely"}`;
    await prometheus.until(`netgraph_edge_connections_total${mine}`, (s) => s[0]?.value === 1);
    await prometheus.until(`netgraph_edge_connections_total${theirs}`, (s) => s[0]?.value === 1);
    const deleted = Date.now();
    await delPod(lonely);
    // Well inside the grace period: still there.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await prometheus.query(`netgraph_edge_connections_total${mine}`)).toHaveLength(1);
    await prometheus.until(`netgraph_edge_connections_total${mine}`, (s) => s.length === 0, 40_000);
    expect(Date.now() - deleted).toBeGreaterThanOrEqual(GRACE_S * 1000);
    await prometheus.until(
      `netgraph_edge_connections_total${theirs}`,
      (s) => s.length === 0,
      20_000,
    );
    // The live workloads keep theirs.
    expect(
      await prometheus.query(`netgraph_edge_connections_total{workload="client"}`),
    ).not.toEqual([]);
    const removed = await prometheus.query('netgraph_metrics_series_deleted_total');
    expect(removed[0]?.value).toBeGreaterThanOrEqual(2);
    await stopTrace('gone');
  });

  it('holds the series cap when a pod floods distinct peers', async () => {
    await startTrace('flood');
    // The peers are behind a veth pair made inside the flood pod's own namespace: the
    // datagrams leave through the traced namespace's device (one static neighbour, so no
    // ARP) and arrive at its twin in the same namespace, addressed to no one there.
    for (const cmd of [
      'link add ngsink0 type veth peer name ngsink1',
      'link set ngsink0 up',
      'link set ngsink1 up',
      'route add 198.18.0.0/16 via 169.254.9.9 dev ngsink0 onlink',
      'neigh add 169.254.9.9 lladdr 02:00:00:00:00:01 dev ngsink0 nud permanent',
    ])
      await podRun(flood, ['ip', ...cmd.split(' ')]);
    const send = `const s=require('node:dgram').createSocket('udp4');let n=0;
for(let i=0;i<600;i++)s.send('x',9,'198.18.'+(i>>8)+'.'+(i&255),()=>{if(++n===600)s.close()});`;
    await podRun(flood, [process.execPath, '-e', send]);
    const overflow = await prometheus.until(
      'netgraph_metrics_overflow_edges_total{metric="netgraph"}',
      (s) => (s[0]?.value ?? 0) > 0,
    );
    expect(overflow[0]?.value).toBeGreaterThan(0);
    await prometheus.until(
      `sum(netgraph_edge_connections_total{remote_kind="overflow"})`,
      (s) => (s[0]?.value ?? 0) > 0,
    );
    const [held] = await prometheus.query('netgraph_metrics_series');
    // The cap, plus the overflow label sets (5 netgraph series, one per ngraph name).
    expect(held?.value).toBeLessThanOrEqual(MAX_SERIES + 7);
    const [scraped] = await prometheus.query(
      'count({__name__=~"netgraph_edge_.*|network_connections_(input|output)_total"})',
    );
    expect(scraped?.value).toBeLessThanOrEqual(MAX_SERIES + 7);
    // Every connection is still counted, under the overflow when not under its own peer.
    const [all] = await prometheus.until(
      `sum(netgraph_edge_connections_total{trace="${NS}/flood",workload="flood"}) + sum(netgraph_edge_connections_total{remote_kind="overflow"})`,
      (s) => (s[0]?.value ?? 0) >= 600,
    );
    expect(all?.value).toBeGreaterThanOrEqual(600);
    await stopTrace('flood');
  });

  it('refuses a bad metricsLabels parameter in status.operationError', async () => {
    const trace = {
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { name: 'bad-labels', namespace: NS },
      spec: { node: NODE, gadget: 'network-graph', parameters: { metricsLabels: 'pod,container' } },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
    await kubectl(['annotate', '-n', NS, 'trace/bad-labels', 'gadget.kinvolk.io/operation=start']);
    const t = await waitTrace(NS, 'bad-labels', (x) => !!x.status?.operationError);
    expect(t.status?.operationError).toBe(
      'Invalid parameter metricsLabels: "container" is not one of pod, ip',
    );
    expect(operator.running).toBe(true);
  });
});
