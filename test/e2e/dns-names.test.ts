// Names from the DNS answers a pod received, on the test bed: a traced client asks a DNS
// server pod (test/e2e/tools/dns-server.mjs, answering as a resolver does) for a name,
// gets an address that is neither a pod nor a Service (a network namespace the test
// made, with no Pod object), and connects there. The real data plane hands the answer
// to the agent, which names the client's edge: remoteName is the name asked,
// remoteNameSource dns; the same over AAAA and IPv6, through a CNAME chain (the canonical
// name beside it), and over TCP when the answer came truncated over UDP. After the TTL
// and the agent's grace period, a new edge to that address has no name; an edge first
// seen unnamed takes the name once the pod looks it up and connects again. The log stream
// and status.output carry the fields; `generate` comments the names in NetworkPolicies
// and, with policyKind=cilium, writes toFQDNs that Cilium's own CRD accepts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyCiliumCrd, dryRun } from './cilium.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import {
  addPod,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
  spawnInPod,
  testbed,
} from './testbed.js';
import { operate, waitTrace } from './traces.js';

const NS = 'dnsnames';
const NODE = 'dnsnames-node';
const TRACE = 'names';
/** The records' TTL and the agent's grace period: a name holds 3 s after its answer. */
const TTL_S = 2;
const GRACE = '1s';
let net: Netgraph;
let operator: Proc;
const procs: PodProcess[] = [];
let client: PodInfo;
let dns: PodInfo;
/** Addresses in network namespaces the test made, with no Pod object: `other` to netgraph. */
const outside: Record<'a' | 'b' | 'c', { ip: string; ip6: string }> = {
  a: { ip: '', ip6: '' },
  b: { ip: '', ip6: '' },
  c: { ip: '', ip6: '' },
};
type Line = Record<string, unknown>;

async function lookup(name: string, type: 'A' | 'AAAA'): Promise<string> {
  const out = await podRun(
    client,
    nodeTool('dns-client', ['--server', dns.ip, '--name', name, '--type', type]),
  );
  return (JSON.parse(out) as { addresses: string[] }).addresses[0] as string;
}

const connect = (host: string, port: number) =>
  podRun(client, nodeTool('tcp-client', ['--host', host, '--port', String(port)]));

/** The client's edge to ip:port, as the operator logs it when it first sees it. */
const edgeTo = (ip: string, port: number) =>
  operator.waitLine(
    (l: Line) =>
      l.trace === `${NS}/${TRACE}` && l.pod === 'client' && l.ip === ip && l.port === port,
  );

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS], nodes: [NODE] });
  [client, dns] = await Promise.all([
    addPod(`${NS}/client`, { node: NODE, labels: { app: 'client' } }),
    addPod(`${NS}/dns`, { node: NODE, labels: { app: 'dns' } }),
  ]);
  for (const k of ['a', 'b', 'c'] as const) {
    outside[k] = JSON.parse(
      await testbed(['pod', 'net', 'add', `${NS}/outside-${k}`, '--node', NODE]),
    ) as { ip: string; ip6: string };
    for (const port of ['8443', '8444']) {
      const server = spawnInPod(`${NS}/outside-${k}`, nodeTool('tcp-server', ['--port', port]));
      procs.push(server);
      await server.waitForLine(/listening/);
    }
  }
  const zone = {
    'api.example.test': { A: [outside.a.ip], AAAA: [outside.a.ip6].filter(Boolean), ttl: TTL_S },
    'www.example.test': { CNAME: 'edge.cdn.test', ttl: TTL_S },
    'edge.cdn.test': { A: [outside.b.ip], ttl: TTL_S },
    'tcp.example.test': { A: [outside.c.ip], ttl: TTL_S },
  };
  const server = spawnInPod(
    dns,
    nodeTool('dns-server', ['--zone', JSON.stringify(zone), '--tcp-only', 'tcp.example.test']),
  );
  procs.push(server);
  await server.waitForLine(/listening/);
  await applyCiliumCrd();
  net = await startNetgraph({ nodes: [NODE], agentArgs: ['--dns-grace', GRACE] });
  ({ operator } = net);
  const trace = {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name: TRACE, namespace: NS },
    spec: {
      node: NODE,
      gadget: 'network-graph',
      filter: { namespace: NS, podname: 'client' },
      outputMode: 'Status',
    },
  };
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(trace) });
  await operate(NS, TRACE, 'start', (t) => t.status?.nodes?.[NODE]?.pods === 1);
}, 900_000);

afterAll(async () => {
  await Promise.all([net?.stop(), ...procs.map((p) => p.kill())]);
  for (const k of ['a', 'b', 'c'])
    await testbed(['pod', 'net', 'del', `${NS}/outside-${k}`]).catch(() => {});
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('names from the DNS answers a pod received', () => {
  it('an A record names the edge to that address: remoteName, remoteNameSource dns', async () => {
    expect(await lookup('api.example.test', 'A')).toBe(outside.a.ip);
    await connect(outside.a.ip, 8443);
    expect(await edgeTo(outside.a.ip, 8443)).toMatchObject({
      remoteKind: 'other',
      remoteOther: outside.a.ip,
      remoteName: 'api.example.test',
      remoteNameSource: 'dns',
    });
  });

  it('the same over AAAA and IPv6', async (ctx) => {
    if (!outside.a.ip6) ctx.skip();
    expect(await lookup('api.example.test', 'AAAA')).toBe(outside.a.ip6);
    await connect(outside.a.ip6, 8443);
    expect(await edgeTo(outside.a.ip6, 8443)).toMatchObject({
      remoteKind: 'other',
      remoteName: 'api.example.test',
      remoteNameSource: 'dns',
    });
  });

  it('a CNAME chain: the name asked, the canonical name beside it', async () => {
    expect(await lookup('www.example.test', 'A')).toBe(outside.b.ip);
    await connect(outside.b.ip, 8443);
    expect(await edgeTo(outside.b.ip, 8443)).toMatchObject({
      remoteName: 'www.example.test',
      remoteNameSource: 'dns',
      remoteCanonicalName: 'edge.cdn.test',
    });
  });

  it('an answer that came over TCP (truncated over UDP first)', async () => {
    expect(await lookup('tcp.example.test', 'A')).toBe(outside.c.ip);
    await connect(outside.c.ip, 8443);
    expect(await edgeTo(outside.c.ip, 8443)).toMatchObject({
      remoteName: 'tcp.example.test',
      remoteNameSource: 'dns',
    });
  });

  it('after the TTL and the grace period, a new edge to the address has no name', async () => {
    await new Promise((r) => setTimeout(r, (TTL_S + 1 + 1) * 1000));
    await connect(outside.b.ip, 8444);
    const late = await edgeTo(outside.b.ip, 8444);
    expect(late.remoteKind).toBe('other');
    expect(late.remoteName).toBeUndefined();
    expect(late.remoteNameSource).toBeUndefined();
  });

  it('an edge first seen unnamed takes the name the pod looks up later', async () => {
    // The TTL test above let tcp.example.test's answer run out: the edge starts unnamed.
    await connect(outside.c.ip, 8444);
    const first = await edgeTo(outside.c.ip, 8444);
    expect(first.remoteName).toBeUndefined();
    expect(await lookup('tcp.example.test', 'A')).toBe(outside.c.ip);
    await connect(outside.c.ip, 8444);
    const t = await waitTrace(NS, TRACE, (x) =>
      (JSON.parse(x.status?.output ?? '[]') as Line[]).some(
        (e) => e.ip === outside.c.ip && e.port === 8444 && e.remoteName !== undefined,
      ),
    );
    const edges = JSON.parse(t.status?.output ?? '[]') as Line[];
    expect(edges.find((e) => e.ip === outside.c.ip && e.port === 8444)).toMatchObject({
      remoteKind: 'other',
      remoteName: 'tcp.example.test',
      remoteNameSource: 'dns',
      connections: 2,
    });
  });

  it('status.output carries the names', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const t = await operate(NS, TRACE, 'stop', (x) => x.status?.state === 'Stopped');
    const edges = JSON.parse(t.status?.output ?? '[]') as Line[];
    expect(edges.find((e) => e.ip === outside.b.ip && e.port === 8443)).toMatchObject({
      remoteName: 'www.example.test',
      remoteNameSource: 'dns',
      remoteCanonicalName: 'edge.cdn.test',
    });
  });

  it('generate: NetworkPolicies name them in comments; Cilium policies allow them by name', async () => {
    const np = await operate(NS, TRACE, 'generate', (t) => t.status?.policies !== undefined);
    expect(np.status?.output).toMatch(
      new RegExp(`cidr: ${outside.a.ip.replaceAll('.', '\\.')}/32 # api\\.example\\.test`),
    );
    await kubectl([
      'patch',
      'trace',
      '-n',
      NS,
      TRACE,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { parameters: { policyKind: 'cilium' } } }),
    ]);
    const cnp = await operate(
      NS,
      TRACE,
      'generate',
      (t) => t.status?.output?.includes('CiliumNetworkPolicy') ?? false,
    );
    const docs = parseAllDocuments(cnp.status?.output ?? '')
      .map((d) => d.toJS())
      .filter(Boolean);
    expect(docs).toHaveLength(1);
    const egress = JSON.stringify(docs[0].spec.egress);
    for (const name of ['api.example.test', 'www.example.test', 'tcp.example.test'])
      expect(egress).toContain(`{"matchName":"${name}"}`);
    // Cilium sees the lookups: the DNS rule on the egress to the DNS server pod.
    expect(egress).toContain('"rules":{"dns":[{"matchPattern":"*"}]}');
    expect(await dryRun(docs)).toEqual(['ciliumnetworkpolicy.cilium.io/client-netgraph']);
  });
});
