// A trace's window on a shared attachment. One attachment per pod network
// namespace counts for every trace that selects the pod; each trace sees the
// counters minus a baseline taken when it joined, so its edges hold only what
// happened since it started. Pure: edges in, edges out.
import { COUNTER_FIELDS, type Edge, type EdgeCounters } from '../../api/edge.js';

/** An edge's key within one namespace (the pod's side is implied). */
export const flowEdgeKey = (e: Pick<Edge, 'pktType' | 'proto' | 'ip' | 'port'>): string =>
  `${e.pktType}/${e.proto}/${e.ip}/${e.port}`;

/**
 * The baseline of a window opened now: every edge's counters as they stand, less
 * the connections still open (`open`: connections per edge key, from the socket
 * table), which the new window reports as its own, as a fresh attach would.
 */
export function baselineOf(
  snapshot: Edge[],
  open: ReadonlyMap<string, number>,
): Map<string, EdgeCounters> {
  const out = new Map<string, EdgeCounters>();
  for (const e of snapshot) {
    if (e.type !== 'normal') continue;
    const k = flowEdgeKey(e);
    const b: EdgeCounters = {};
    for (const f of COUNTER_FIELDS) b[f] = e[f] ?? 0;
    b.connections = Math.max(0, (b.connections ?? 0) - (open.get(k) ?? 0));
    out.set(k, b);
  }
  return out;
}

export class EdgeWindow {
  /**
   * @param baseline counters per edge key when the window opened (empty: it sees everything)
   * @param since RFC 3339 time the window opened: no edge of it was first seen earlier
   */
  constructor(
    private readonly baseline: ReadonlyMap<string, EdgeCounters> = new Map(),
    private readonly since?: string,
  ) {}

  /**
   * The edge (counters cumulative since attach) as this window sees it, or
   * undefined when nothing happened on it since the window opened. Warnings pass.
   */
  view(e: Edge): Edge | undefined {
    if (e.type !== 'normal') return e;
    const b = this.baseline.get(flowEdgeKey(e));
    if (!b) return e;
    const w: Edge = { ...e };
    for (const f of COUNTER_FIELDS) w[f] = Math.max(0, (e[f] ?? 0) - (b[f] ?? 0));
    if (!w.connections && !w.packetsSent && !w.packetsReceived) return undefined;
    if (this.since && (!w.firstSeen || w.firstSeen < this.since)) w.firstSeen = this.since;
    if (w.firstSeen && (!w.lastSeen || w.lastSeen < w.firstSeen)) w.lastSeen = w.firstSeen;
    return w;
  }
}
