// The graph page's history past the operator's memory, from a real Prometheus (Debian's,
// scraping the operator every second): traffic through a Service, the operator restarted
// (its memory empty), then the last 15 minutes asked of the new one, which reads the time
// before its start from Prometheus (--prometheus-url): the workloads' edge and its bytes
// come back, summed with what the new operator saw itself, and the answer says which part
// came from where. With Prometheus gone, the answer says what is missing instead.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphAnswer } from '../../api/graph.js';
import { addClientService } from './client-service.js';
import { NETGRAPH_NS, type Proc, startOperator } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { CERT_CONFIGMAP, OperatorPort } from './operator-port.js';
import { Prometheus } from './prometheus.js';
import {
  kubeconfigPath,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
  waitFor,
} from './testbed.js';
import { operate } from './traces.js';

const NS = 'prom-history-e2e';
const NODE = 'prom-history-node';
const TRACE = `${NS}/history`;
let net: Netgraph;
let second: Proc | undefined;
let prometheus: Prometheus;
let client: PodInfo;
let clusterIP: string;
const procs: PodProcess[] = [];

/** `count` connections of `bytes` each from the client to the Service. */
const traffic = (bytes: number, count: number) =>
  podRun(
    client,
    nodeTool('tcp-client', [
      '--host',
      clusterIP,
      '--port',
      '80',
      '--bytes',
      String(bytes),
      '--count',
      String(count),
    ]),
  );

const CLIENT = `${NS}/deployment/client`;
const SERVICE = `${NS}/service/server`;
const SERIES = `netgraph_edge_bytes_total{trace="${TRACE}",workload="client",remote_kind="svc",direction="sent"}`;

/** The live stream's first event (the page follows it by default): the whole graph. */
function streamed(port: OperatorPort, query: string): Promise<GraphAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${port.base}/api/v1/traces/${TRACE}/stream?${query}`,
      port.tlsOptions(),
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          const end = text.indexOf('\n\n');
          if (end < 0) return;
          req.destroy();
          const data = /^data: (.*)$/m.exec(text.slice(0, end))?.[1];
          if (data) resolve(JSON.parse(data) as GraphAnswer);
          else reject(new Error(`not a graph event: ${text.slice(0, end)}`));
        });
      },
    );
    req.on('error', reject);
  });
}

async function graph(port: OperatorPort, query: string): Promise<GraphAnswer> {
  const a = await port.get(`/api/v1/traces/${TRACE}/graph?${query}`);
  expect(a.status, a.text).toBe(200);
  return JSON.parse(a.text) as GraphAnswer;
}

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS], nodes: [NODE] });
  let echo: PodProcess;
  ({ client, clusterIP, echo } = await addClientService(NS, NODE, 'client-5d8f7', 'h2x9q'));
  procs.push(echo);
  net = await startNetgraph({ nodes: [NODE] });
  prometheus = await Prometheus.start([await (await OperatorPort.of(net.operator)).scrapeTarget()]);
  const trace = {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name: 'history', namespace: NS },
    spec: { node: NODE, gadget: 'network-graph', filter: { namespace: NS } },
  };
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
  await operate(NS, 'history', 'start', (t) => (t.status?.nodes?.[NODE]?.pods ?? 0) >= 2);
}, 180_000);

afterAll(async () => {
  await Promise.all([
    prometheus?.stop(),
    second?.stop(),
    net?.stop(),
    ...procs.map((p) => p.kill()),
  ]);
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('graph history from Prometheus after an operator restart', () => {
  let before: number;
  let after: number;
  let port: OperatorPort;

  it('reads the time before the restarted operator from Prometheus, by workload', async () => {
    await traffic(4000, 3);
    // Prometheus has scraped the operator since the last byte: its counter is final.
    const [old] = await prometheus.until(SERIES, (s) => (s[0]?.value ?? 0) >= 12_000, 30_000);
    before = old?.value ?? 0;
    const first = await OperatorPort.of(net.operator);
    const seen = await graph(first, 'start=-15m&groupBy=owner');
    const edge = seen.edges.find((e) => e.id === `${CLIENT}->${SERVICE}`);
    expect(edge?.bytesSent).toBe(before);
    // Several scrapes of the final value, so the last one is surely in.
    await new Promise((r) => setTimeout(r, 10_000));

    await net.operator.stop();
    // The new operator publishes its own certificate; pin that one, not the old.
    await kubectl(['delete', 'configmap', '-n', NETGRAPH_NS, CERT_CONFIGMAP]);
    second = startOperator(kubeconfigPath(), undefined, ['--prometheus-url', prometheus.url]);
    await second.waitLine((l) => l.msg === 'operator started', 30_000);
    port = await OperatorPort.of(second);
    // Held again once the new operator resumes the trace on the node and the agent
    // replays its edges (which say the trace ran before this operator).
    const answer = await waitFor(
      async () => {
        const a = await port.get(`/api/v1/traces/${TRACE}/graph?start=-15m&groupBy=owner`);
        const g = a.status === 200 ? (JSON.parse(a.text) as GraphAnswer) : undefined;
        return g?.edges.some((e) => e.id === `${CLIENT}->${SERVICE}`) ? g : undefined;
      },
      { timeoutMs: 30_000, what: `${TRACE} resumed by the new operator` },
    );
    const restartedAt = Date.now();
    const { sources } = answer;
    // The memory begins at the restart (its first whole bin); before it, Prometheus.
    expect(sources).toMatchObject({ prometheus: { to: sources.memoryFrom } });
    expect(sources.warning).toBeUndefined();
    expect(restartedAt - Date.parse(sources.memoryFrom)).toBeLessThan(60_000);
    expect(Date.parse(sources.prometheus?.from ?? '')).toBeLessThanOrEqual(Date.parse(answer.from));
    expect(answer.edges.map((e) => [e.id, e.bytesSent])).toContainEqual([
      `${CLIENT}->${SERVICE}`,
      before,
    ]);
    expect(answer.entities.map((e) => [e.id, e.kind])).toContainEqual([CLIENT, 'owner']);
  });

  it("adds what the new operator saw itself to Prometheus's part, in one edge", async () => {
    const sent = (a: GraphAnswer) =>
      a.edges.find((e) => e.id === `${CLIENT}->${SERVICE}`)?.bytesSent ?? 0;
    const first = await graph(port, 'start=-15m&groupBy=owner');
    // This Prometheus does not scrape the new operator (its port is new): traffic in the
    // bin the memory began in, before its first whole one, would be in neither part.
    const wait = Date.parse(first.sources.memoryFrom) + 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await traffic(1000, 2);
    // The window the memory holds: what the new operator saw itself (with the packets' headers).
    const sinceRestart = `from=${encodeURIComponent(first.sources.memoryFrom)}&groupBy=owner`;
    const mine = await waitFor(
      async () => {
        const a = await graph(port, sinceRestart);
        return sent(a) >= 2000 ? a : undefined;
      },
      { timeoutMs: 20_000, what: 'the new traffic in the memory' },
    );
    after = sent(mine);
    expect(after).toBeLessThan(4000);
    expect(mine.sources.prometheus).toBeUndefined();
    const answer = await graph(port, 'start=-15m&groupBy=owner');
    expect(sent(answer)).toBe(before + after);
    expect(answer.sources.prometheus?.to).toBe(first.sources.memoryFrom);
    // The live stream's graph is the same.
    const live = await streamed(port, 'start=-15m&groupBy=owner');
    expect(sent(live)).toBe(before + after);
    expect(live.sources.prometheus?.to).toBe(first.sources.memoryFrom);
    // The pod view: the pod from memory, the workload (no pod in the series) from Prometheus.
    const pods = await graph(port, 'start=-15m');
    expect(pods.edges.map((e) => [e.source, e.target, e.bytesSent])).toEqual(
      expect.arrayContaining([
        [`${NS}/pod/client-5d8f7-h2x9q`, SERVICE, after],
        [CLIENT, SERVICE, before],
      ]),
    );
  });

  it('says what is missing when Prometheus does not answer, and still answers', async () => {
    await prometheus.stop();
    // Further back than asked before: a new range query, which fails.
    const answer = await graph(port, 'start=-20m&groupBy=owner');
    expect(answer.sources.warning).toMatch(
      /before the operator's memory is missing: Prometheus at/,
    );
    expect(answer.sources.prometheus).toBeUndefined();
    expect(answer.edges.find((e) => e.id === `${CLIENT}->${SERVICE}`)?.bytesSent).toBe(after);
  });
});
