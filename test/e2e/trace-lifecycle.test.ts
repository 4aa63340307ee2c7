// A user's whole path on the test bed: apply the seed's Trace verbatim, start it,
// make traffic, follow the operator's log, stop it, read the status. Real
// apiserver, real agents, real eBPF, real packets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Proc, startAgent, startOperator } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import {
  addNode,
  addPod,
  delPod,
  kubeconfigPath,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
  repoRoot,
  spawnInPod,
  waitFor,
} from './testbed.js';
import { getTrace, operate, waitTrace } from './traces.js';

const NODE = 'albantyphoon-worker000003';
const OTHER_NODE = 'albantyphoon-worker000004';
const seedYaml = readFileSync(
  join(repoRoot, 'test/fixtures/traces/seed-network-graph.yaml'),
  'utf8',
);

let net: Netgraph;
// Replaced when a test restarts it.
let operator: Proc;
let agents: Proc[];
const servers: PodProcess[] = [];
let client: PodInfo;
let server: PodInfo;
let outsider: PodInfo;
let far: PodInfo;
let clusterIP: string;

const tcp = (from: PodInfo, host: string, port: number) =>
  podRun(from, nodeTool('tcp-client', ['--host', host, '--port', String(port), '--bytes', '100']));

const edgesOf = (trace: string) =>
  operator.lines.filter((l) => l.msg === 'edge' && l.trace === trace) as Record<string, unknown>[];

beforeAll(async () => {
  await prepareTestbed({ namespaces: ['gadget', 'demo', 'other'], nodes: [NODE, OTHER_NODE] });
  [client, server, outsider, far] = await Promise.all([
    addPod('demo/client', { node: NODE, labels: { app: 'client' } }),
    addPod('demo/server', { node: NODE, labels: { app: 'server' } }),
    addPod('other/outsider', { node: NODE, labels: { app: 'outsider' } }),
    addPod('demo/far', { node: OTHER_NODE, labels: { app: 'far' } }),
  ]);
  await kubectl(['create', 'service', 'clusterip', 'server', '-n', 'demo', '--tcp=80:8080']);
  clusterIP = (
    await kubectl(['get', 'svc', '-n', 'demo', 'server', '-o', 'jsonpath={.spec.clusterIP}'])
  ).trim();
  for (const p of [server, far]) {
    const s = spawnInPod(p, nodeTool('tcp-server', ['--port', '8080']));
    servers.push(s);
    await s.waitForLine(/listening/);
  }
  net = await startNetgraph({ nodes: [NODE, OTHER_NODE] });
  ({ operator, agents } = net);
}, 180_000);

afterAll(async () => {
  await Promise.all([net?.stop(), operator?.stop(), ...servers.map((s) => s.kill())]);
  await kubectl(['delete', 'namespace', 'gadget', 'demo', 'other', '--wait=false']).catch(() => {});
});

describe('the seed Trace, Stream mode', () => {
  it('starts, streams client and server edges to the log, and stops', async () => {
    await kubectl(['apply', '-f', '-'], { input: seedYaml });
    const started = await operate(
      'gadget',
      'network-graph',
      'start',
      (t) => t.status?.state === 'Started',
    );
    expect(started.status?.operationError).toBeUndefined();
    expect(started.metadata.finalizers).toContain('gadget.kinvolk.io/finalizer');
    // demo/client and demo/server on the traced node; not other/outsider, not demo/far.
    await waitTrace(
      'gadget',
      'network-graph',
      (t) => t.status?.nodes?.[NODE]?.pods === 2,
      'agent attached to the two demo pods',
    );

    await tcp(client, clusterIP, 80);
    await tcp(client, server.ip, 8080);
    await tcp(outsider, server.ip, 8080);
    await tcp(far, server.ip, 8080);

    const trace = 'gadget/network-graph';
    const toService = await operator.waitLine(
      (l) =>
        l.trace === trace && l.pod === 'client' && l.pktType === 'OUTGOING' && l.ip === clusterIP,
    );
    expect(toService).toMatchObject({
      msg: 'edge',
      node: NODE,
      namespace: 'demo',
      proto: 'tcp',
      port: 80,
    });
    const atServer = await operator.waitLine(
      (l) => l.trace === trace && l.pod === 'server' && l.pktType === 'HOST' && l.ip === client.ip,
    );
    expect(atServer).toMatchObject({ node: NODE, namespace: 'demo', proto: 'tcp', port: 8080 });
    await operator.waitLine(
      (l) => l.trace === trace && l.pod === 'client' && l.ip === server.ip && l.port === 8080,
    );

    const stopped = await operate(
      'gadget',
      'network-graph',
      'stop',
      (t) => t.status?.state === 'Stopped',
    );
    expect(stopped.status?.edges).toBeGreaterThanOrEqual(3);

    // At stop, each edge's totals: two connections reached the server (Service, then pod IP).
    const total = await operator.waitLine(
      (l) =>
        l.msg === 'edge total' && l.trace === trace && l.pod === 'server' && l.ip === client.ip,
    );
    expect(total).toMatchObject({ pktType: 'HOST', port: 8080, connections: 2 });
    expect(Number(total.bytesReceived)).toBeGreaterThan(200); // 2 x 100 payload bytes, and headers

    // Only pods in demo on the traced node have edges: the server saw outsider and far,
    // but outsider and far themselves were never traced.
    const edges = edgesOf(trace);
    expect(edges.every((e) => e.namespace === 'demo' && e.node === NODE)).toBe(true);
    expect(edges.some((e) => e.pod === 'outsider' || e.pod === 'far')).toBe(false);
    expect(edges.some((e) => e.pod === 'server' && e.ip === outsider.ip)).toBe(true);

    const table = await kubectl(['get', 'traces', '-n', 'gadget']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+GADGET\s+NODE\s+STATE\s+EDGES\s+AGE/);
    expect(table).toMatch(
      new RegExp(`network-graph\\s+network-graph\\s+${NODE}\\s+Stopped\\s+\\d+`),
    );
  });
});

describe('outputMode Status', () => {
  it('writes the unique edges as a JSON array into status.output', async () => {
    const yaml = seedYaml
      .replace('name: network-graph\n', 'name: network-graph-status\n')
      .replace('outputMode: Stream', 'outputMode: Status');
    await kubectl(['apply', '-f', '-'], { input: yaml });
    await operate(
      'gadget',
      'network-graph-status',
      'start',
      (t) => t.status?.nodes?.[NODE]?.pods === 2,
    );
    await tcp(client, clusterIP, 80);
    const t = await waitFor(
      async () => {
        const tr = await getTrace('gadget', 'network-graph-status');
        const out = JSON.parse(tr.status?.output ?? '[]') as Record<string, unknown>[];
        return out.some((e) => e.pod === 'server' && e.pktType === 'HOST' && e.ip === client.ip)
          ? out
          : undefined;
      },
      { what: 'edges in status.output' },
    );
    expect(t).toContainEqual(
      expect.objectContaining({
        pod: 'client',
        pktType: 'OUTGOING',
        proto: 'tcp',
        ip: clusterIP,
        port: 80,
      }),
    );
    const stopped = await operate(
      'gadget',
      'network-graph-status',
      'stop',
      (tr) => tr.status?.state === 'Stopped',
    );
    expect(JSON.parse(stopped.status?.output ?? '[]').length).toBe(stopped.status?.edges);
  });
});

describe('errors land in status.operationError and the operator keeps running', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['bad-gadget', { gadget: 'foo' }, 'start', 'Unknown gadget "foo"'],
    [
      'bad-output',
      { outputMode: 'File' },
      'start',
      'Unsupported OutputMode "File" for gadget "network-graph"',
    ],
    ['bad-op', {}, 'pause', 'Unsupported operation "pause" for gadget "network-graph"'],
    ['not-started', {}, 'stop', 'Not started'],
    ['no-node', { node: 'nope' }, 'start', 'Node "nope" not found'],
    [
      'bad-group',
      { parameters: { groupBy: 'team' } },
      'start',
      'Invalid parameter groupBy "team": must be one of pod, service, namespace, owner, node',
    ],
  ];
  it.each(cases)('%s', async (name, spec, op, error) => {
    const trace = {
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { name, namespace: 'gadget' },
      spec: {
        node: NODE,
        gadget: 'network-graph',
        filter: { namespace: 'demo' },
        runMode: 'Manual',
        outputMode: 'Stream',
        ...spec,
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
    const t = await operate('gadget', name, op, (tr) => tr.status?.operationError === error);
    expect(t.status?.state).toBeUndefined();
    expect(operator.running).toBe(true);
  });

  it('a runMode outside the enum is refused by kubectl apply itself', async () => {
    const bad = seedYaml
      .replace('name: network-graph\n', 'name: bad-mode\n')
      .replace('runMode: Manual', 'runMode: Sometimes');
    await expect(kubectl(['apply', '-f', '-'], { input: bad })).rejects.toThrow(
      /runMode.*Unsupported value: "Sometimes"/s,
    );
  });
});

describe('pods and agents coming and going', () => {
  it('says which node has no agent, and attaches when one comes up', async () => {
    const lonely = 'agentless-node';
    await addNode(lonely);
    const yaml = seedYaml
      .replace('name: network-graph\n', 'name: agentless\n')
      .replace(NODE, lonely);
    await kubectl(['apply', '-f', '-'], { input: yaml });
    const t = await operate('gadget', 'agentless', 'start', (tr) => tr.status?.state === 'Started');
    expect(t.status?.nodes?.[lonely]).toEqual({
      state: 'AgentMissing',
      reason: `no live netgraph agent on node ${lonely}`,
    });
    expect(t.status?.operationWarning).toContain(`node ${lonely}: no live netgraph agent`);
    const agent = startAgent(lonely, kubeconfigPath());
    try {
      await waitTrace(
        'gadget',
        'agentless',
        (tr) => tr.status?.nodes?.[lonely]?.state === 'Started',
      );
      await operate('gadget', 'agentless', 'stop', (tr) => tr.status?.state === 'Stopped');
    } finally {
      await agent.stop();
    }
  });

  it('attaches a pod that appears on a traced node after start', async () => {
    const yaml = seedYaml.replace('name: network-graph\n', 'name: late-pods\n');
    await kubectl(['apply', '-f', '-'], { input: yaml });
    await operate('gadget', 'late-pods', 'start', (t) => t.status?.nodes?.[NODE]?.pods === 2);
    const late = await addPod('demo/late', { node: NODE, labels: { app: 'late' } });
    await waitTrace(
      'gadget',
      'late-pods',
      (t) => t.status?.nodes?.[NODE]?.pods === 3,
      'late pod attached',
    );
    await tcp(late, server.ip, 8080);
    await operator.waitLine(
      (l) => l.trace === 'gadget/late-pods' && l.pod === 'late' && l.ip === server.ip,
    );
    await operate('gadget', 'late-pods', 'stop', (t) => t.status?.state === 'Stopped');
    await delPod(late);
  });

  it('deleting a started Trace stops it on the agents first (finalizer)', async () => {
    const yaml = seedYaml.replace('name: network-graph\n', 'name: deleted\n');
    await kubectl(['apply', '-f', '-'], { input: yaml });
    await operate('gadget', 'deleted', 'start', (t) => t.status?.state === 'Started');
    const agent = agents[0] as Proc;
    const from = agent.lines.length;
    await kubectl(['delete', 'trace', '-n', 'gadget', 'deleted', '--timeout=20s']);
    await agent.waitLine(
      (l) => l.msg === 'trace stopped' && l.trace === 'gadget/deleted',
      5000,
      from,
    );
  });
});

describe('restarting the operator while a trace runs', () => {
  it('keeps the trace Started and loses no edge the agents held', async () => {
    const yaml = seedYaml.replace('name: network-graph\n', 'name: restart\n');
    await kubectl(['apply', '-f', '-'], { input: yaml });
    await operate('gadget', 'restart', 'start', (t) => t.status?.nodes?.[NODE]?.pods === 2);
    await tcp(client, server.ip, 8080);
    await operator.waitLine(
      (l) => l.trace === 'gadget/restart' && l.pod === 'client' && l.ip === server.ip,
    );

    await operator.stop('SIGKILL');
    // Traffic while no operator runs: the agent holds these edges.
    await tcp(client, clusterIP, 80);
    await tcp(outsider, server.ip, 8080);
    operator = startOperator(kubeconfigPath());

    expect((await getTrace('gadget', 'restart')).status?.state).toBe('Started');
    for (const want of [
      (l: Record<string, unknown>) => l.pod === 'client' && l.ip === server.ip,
      (l: Record<string, unknown>) => l.pod === 'client' && l.ip === clusterIP,
      (l: Record<string, unknown>) => l.pod === 'server' && l.ip === outsider.ip,
    ]) {
      await operator.waitLine((l) => l.trace === 'gadget/restart' && want(l));
    }
    await operate('gadget', 'restart', 'stop', (t) => t.status?.state === 'Stopped');
  });
});
