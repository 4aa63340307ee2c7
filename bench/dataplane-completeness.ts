// Completeness: 10,000 short-lived TCP connections between two pod namespaces
// routed through a node namespace (two clients in parallel), both sides traced with
// default map sizes beside 100 more traced pods (idle, each a namespace with an
// address: the node's one edge table is shared by them all), in each attach mode
// (socket filter, TCX; the idle pods have no host-side veth, so they get the socket
// filter); the share of
// connections each side's edge counted; and what noting the connecting process
// costs (the netgraph_owner tracepoint's runs and ns per run, kernel.bpf_stats_enabled).
// Usage: node --import tsx bench/dataplane-completeness.ts [--connections 10000] [--pods 100] [--attach socket|tcx]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Edge } from '../api/edge.js';
import { ATTACH_MODES, type AttachMode } from '../api/trace.js';
import { openTracers, type Tracer } from '../gadget/dataplane/tracer.js';
import { makeRoutedPair, peer, run } from '../test/netns/netns-lib.js';
import { enableBpfStats, progStats } from './lib/bpf-stats.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    pods: { type: 'string', default: '100' },
    attach: { type: 'string', multiple: true },
  },
});
const total = Number(values.connections);
const clients = 2;
const modes = (values.attach ?? [...ATTACH_MODES]) as AttachMode[];
const results: Record<string, unknown> = {};
const idle = Array.from({ length: Number(values.pods) }, (_, i) => `ng-cmpl-idle-${i}`);
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });

/** The idle pods: a namespace each, an address on a veth inside it (carrier, so it is listed). */
function makeIdle(): () => void {
  const cleanup = () => {
    for (const ns of idle) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not there
      }
    }
  };
  cleanup();
  for (const [i, ns] of idle.entries()) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', ns, 'addr', 'add', `10.125.${(i + 1) >> 8}.${(i + 1) & 255}/32`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth1', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
  }
  return cleanup;
}

for (const mode of modes) results[mode] = await measure(mode);
console.log('target: 100% in each mode');
console.log(`wrote ${writeResults('dataplane-completeness', { connections: total, ...results })}`);

async function measure(mode: AttachMode): Promise<Record<string, unknown>> {
  const pair = makeRoutedPair('cmpl', 203);
  const cleanupIdle = makeIdle();
  const srv = peer(pair.b, 'tcp-listen', '0.0.0.0', 9100, 64);
  let tracers: Tracer[] = [];
  try {
    if ((await srv.line()) !== 'ready') throw new Error('server did not start');
    const opened = await openTracers([pair.a, pair.b, ...idle], {
      attach: mode,
      hostNetns: `/var/run/netns/${pair.node}`,
    });
    tracers = opened.filter((t): t is Tracer => !(t instanceof Error));
    const [ta, tb] = tracers as [Tracer, Tracer];
    if (tracers.length !== 2 + idle.length || ta.mode !== mode || tb.mode !== mode)
      throw new Error(`${mode}: not attached as asked: ${opened.join(', ')}`);
    // Drain while it runs, as an agent would, keeping the latest (cumulative) edge.
    const latest = new Map<string, Edge>();
    const drain = () => {
      for (const [side, t] of [
        ['client', ta],
        ['server', tb],
      ] as const) {
        for (const e of t.drain()) if (e.port === 9100) latest.set(`${side}/${e.pktType}`, e);
      }
    };
    const timer = setInterval(drain, 1000);
    const restoreStats = enableBpfStats();
    const o0 = progStats('netgraph_owner');
    const t0 = performance.now();
    const done = await Promise.all(
      Array.from({ length: clients }, () =>
        run(pair.a, 'tcp-connect', pair.v4.b, 9100, total / clients, 64),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const o1 = progStats('netgraph_owner');
    restoreStats();
    const owner = {
      runsPerConnection: (o1.runs - o0.runs) / total,
      nsPerRun: (o1.ns - o0.ns) / Math.max(1, o1.runs - o0.runs),
    };
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 200));
    drain();
    const client = latest.get('client/OUTGOING')?.connections ?? 0;
    const server = latest.get('server/HOST')?.connections ?? 0;
    const figures = {
      connections: total,
      tracedPods: tracers.length,
      seconds,
      perSecond: total / seconds,
      clientCounted: client,
      serverCounted: server,
      clientShare: client / total,
      serverShare: server / total,
      peers: done,
      stats: { client: ta.stats(), server: tb.stats() },
      owner,
    };
    console.log(
      `${mode}, ${tracers.length} pods traced: ${total} connections in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s): ${done.join('; ')}`,
    );
    console.log(`client side counted ${client} (${((100 * client) / total).toFixed(2)}%)`);
    console.log(`server side counted ${server} (${((100 * server) / total).toFixed(2)}%)`);
    console.log(
      `process tracepoint: ${owner.runsPerConnection.toFixed(2)} runs a connection, ${owner.nsPerRun.toFixed(0)} ns a run`,
    );
    console.log(`stats: client ${JSON.stringify(ta.stats())} server ${JSON.stringify(tb.stats())}`);
    return figures;
  } finally {
    for (const t of tracers) t.close();
    srv.proc.kill();
    pair.cleanup();
    cleanupIdle();
  }
}
