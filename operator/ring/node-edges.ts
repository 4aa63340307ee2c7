// What a Trace's leader sums into its status from every replica: each replica serves the
// edges of the trace's nodes it follows (GET .../node-edges, local only, a line an edge),
// and the leader asks its peers, adds its own and groups them in the trace's view. At
// most one fan-in a trace every few seconds, its result standing meanwhile: status.output
// is a summary, the log stream has each edge.
import { LRUCache } from 'lru-cache';
import type { Edge } from '../../api/edge.js';
import { parseApiPath } from '../../api/graph.js';
import { replicaNodeEdgesPath } from '../../api/ring.js';
import type { TraceParameters } from '../../api/trace.js';
import { type HttpServer, sendLines } from '../../lib/http-server.js';
import type { PeerClient } from './peer-client.js';

/** How long a gathered summary stands while the trace runs. */
const GATHER_EVERY_MS = 10_000;

/** Serves this replica's part: `edgesOf` gives a running trace's, undefined for none. */
export function registerNodeEdges(
  http: HttpServer,
  edgesOf: (trace: string) => Edge[] | undefined,
): void {
  http.route(
    (path) => parseApiPath(path)?.kind === 'node-edges',
    (_req, res, url) => {
      const at = parseApiPath(url.pathname);
      return sendLines(res, (at?.kind === 'node-edges' && edgesOf(at.trace)) || []);
    },
  );
}

export class NodeEdgesGatherer {
  private readonly recent = new LRUCache<string, { at: number; edges: Edge[] }>({ max: 256 });

  constructor(
    private readonly peers: Pick<PeerClient, 'hasPeers' | 'askLines'>,
    private readonly group: (edges: Edge[], parameters: TraceParameters) => Edge[],
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Every replica's edges of the trace, in its view; this replica's are `own()`, read
   * only when the peers are asked. Undefined with no peers: this replica's own view is
   * the whole.
   */
  async gather(
    trace: string,
    parameters: TraceParameters,
    own: () => Edge[],
    fresh: boolean,
  ): Promise<Edge[] | undefined> {
    if (!this.peers.hasPeers()) return undefined;
    const held = this.recent.get(trace);
    if (!fresh && held && this.now() - held.at <= GATHER_EVERY_MS) return held.edges;
    const [ns = '', name = ''] = trace.split('/');
    const peers = (await this.peers.askLines<Edge>(replicaNodeEdgesPath(ns, name))).lines;
    // A node is one replica's at a time: a handed-over one is gone from the old view.
    const mine = own();
    const nodes = new Set(mine.map((e) => e.node));
    for (const e of peers) if (!nodes.has(e.node)) mine.push(e);
    const edges = this.group(mine, parameters);
    this.recent.set(trace, { at: this.now(), edges });
    return edges;
  }
}
