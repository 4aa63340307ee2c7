// An edge to an outside address first seen unnamed, then named on an update by the name
// its pod looked up later, fed to edge observers through a TraceRun as an agent sends it:
// for the unit tests of each view of the edges (history, stream, metrics, advice).
import type { Edge } from '../api/edge.js';
import type { TraceParameters } from '../api/trace.js';
import { logger } from '../lib/log.js';
import { ClusterState } from '../operator/enrich/cluster-state.js';
import { GroupView } from '../operator/enrich/group.js';
import type { EdgeObserver } from '../operator/trace/edge-observer.js';
import { TraceRun } from '../operator/trace/trace-run.js';
import { FakeSession } from './fake-agents.js';

export const OUTSIDE_IP = '203.0.113.7';
export const OUTSIDE_NAME = 'api.example.com';

/** The pod's edge to the outside address, as its agent sends it before it knows the name. */
export const unnamed = (connections = 1, bytesSent = 100): Edge => ({
  type: 'normal',
  namespace: 'demo',
  pod: 'client',
  podOwner: 'client',
  podOwnerKind: 'Deployment',
  podIP: '10.244.0.5',
  podLabels: { app: 'client' },
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: OUTSIDE_IP,
  port: 443,
  remoteKind: 'other',
  remoteOther: OUTSIDE_IP,
  connections,
  bytesSent,
  firstSeen: new Date().toISOString(),
});

/** The same edge on a later update, the pod's DNS answer known. */
export const named = (connections = 2, bytesSent = 300): Edge => ({
  ...unnamed(connections, bytesSent),
  remoteName: OUTSIDE_NAME,
  remoteNameSource: 'dns',
  remoteCanonicalName: 'lb-7.cdn.example.net',
});

/**
 * A running trace `trace` on node n1 telling `observers`; `send` is n1's agent sending
 * an edge (a new one, or an update of the one with its key).
 */
export async function namedLater(
  observers: readonly EdgeObserver[],
  trace = 'gadget/t',
  parameters: TraceParameters = { groupBy: 'pod', ips: [] },
): Promise<{ run: TraceRun; send(e: Edge): void }> {
  const silent = logger('test', 'silent');
  let session: FakeSession | undefined;
  const run = new TraceRun(trace, {}, parameters, new Date().toISOString(), {
    edgeLog: silent,
    log: silent,
    sessions: (node, agent, _trace, command, events) => {
      session = new FakeSession(node, agent, command, events, false);
      return session;
    },
    // Enrichment makes the kept edge, a copy of what the agent sent.
    enrich: (e) => ({ ...e }),
    view: (p) => new GroupView(p, new ClusterState()),
    writeStatus: async () => {},
    flushMs: 60_000,
    observers,
  });
  await run.attach('n1', { endpoint: 'https://n1:9478', cert: 'PEM' });
  let seq = 0;
  const firsts = new Map<number, number>();
  return {
    run,
    send(e: Edge) {
      seq++;
      const port = e.port ?? 0;
      if (!firsts.has(port)) firsts.set(port, seq);
      session?.send(e, seq, firsts.get(port));
    },
  };
}
