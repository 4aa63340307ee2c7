// A made-up cluster's trace for the graph page's browser test and benchmark, the same each
// run (seeded): pods pod-i in namespaces ns-(i mod n), owned ten by ten by Deployments,
// talking mostly inside their namespace; served by the operator's history store, HTTP
// server and graph API, as the page is in a cluster.
import type { Edge } from '../api/edge.js';
import { HttpServer } from '../lib/http-server.js';
import { logger } from '../lib/log.js';
import { GraphApi } from '../operator/graph/api.js';
import { HistoryStore } from '../operator/history/history.js';

export class SyntheticCluster {
  constructor(private seed = 42) {}

  rand(): number {
    this.seed = (this.seed * 48_271) % 2_147_483_647;
    return this.seed / 2_147_483_647;
  }

  /** The next pick in 0..n-1. */
  pick(n: number): number {
    return Math.floor(this.rand() * n);
  }

  /** `edges` pod -> pod OUTGOING edges between `entities` pods in `namespaces`, each pair once. */
  edges(entities: number, edges: number, namespaces: number): Edge[] {
    const pod = (i: number) => ({ ns: `ns-${i % namespaces}`, name: `pod-${i}` });
    const pairs = new Set<number>();
    const out: Edge[] = [];
    while (out.length < edges) {
      // Mostly within a namespace, as real traffic is.
      const a = this.pick(entities);
      const b =
        this.rand() < 0.8
          ? (a + namespaces * (1 + this.pick(entities / namespaces - 1))) % entities
          : this.pick(entities);
      if (a === b || pairs.has(a * entities + b)) continue;
      pairs.add(a * entities + b);
      const [p, q] = [pod(a), pod(b)];
      const sent = 100 + this.pick(5_000_000);
      out.push({
        type: 'normal',
        node: `node-${a % 20}`,
        namespace: p.ns,
        pod: p.name,
        pktType: 'OUTGOING',
        proto: 'tcp',
        ip: `10.${(b >> 16) & 255}.${(b >> 8) & 255}.${b & 255}`,
        port: 8080,
        remoteKind: 'pod',
        remotePodNamespace: q.ns,
        remotePodName: q.name,
        connections: 1 + this.pick(20),
        bytesSent: sent,
        bytesReceived: sent * 3,
        bytesTotal: sent * 4,
      });
    }
    return out;
  }
}

/** Pod pod-i's Deployment: app-0 .. app-9 of its namespace, by tens of namespaces' pods. */
export const ownerOf = (ns = '', pod = '', namespaces = 50): string =>
  `${ns}/deployment/app-${Math.floor(Number(pod.slice(4)) / (10 * namespaces)) % 10}`;

/** The history store's group names: owners as above, every other view by namespace. */
export const groupNames = (e: Edge, by: string) =>
  by === 'owner'
    ? {
        group: ownerOf(e.namespace, e.pod),
        remoteGroup: ownerOf(e.remotePodNamespace, e.remotePodName),
      }
    : { group: e.namespace ?? '', remoteGroup: e.remotePodNamespace ?? '' };

export const TRACE = 'bench/graph';

/**
 * A running trace of `entities` pods (100 a namespace) and `edges` edges, served on a
 * loopback port with the page built in `webRoot` (default dist/web).
 */
export async function serveTrace(
  entities: number,
  edges: number,
  webRoot?: string,
): Promise<{ base: string; close(): Promise<void> }> {
  const store = new HistoryStore({ groupNames });
  store.started(TRACE, {}, { groupBy: 'pod', ips: [] });
  const namespaces = Math.max(1, Math.round(entities / 100));
  for (const e of new SyntheticCluster().edges(entities, edges, namespaces))
    store.edge(TRACE, e.node ?? '', e);
  const log = logger('synthetic-trace', 'warn');
  const http = new HttpServer(log);
  new GraphApi({ store, log, ...(webRoot ? { webRoot } : {}) }).register(http);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  return { base: `http://127.0.0.1:${port}`, close: () => http.close() };
}
