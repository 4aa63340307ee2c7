// The operator's edge stream, for `kubectl netgraph observe` and anyone with curl:
//   GET /api/v1/traces/{namespace}/{name}/edges?since=DURATION
// answers newline-delimited JSON, one line per edge of the trace as the operator first
// sees it (enriched, as its log's "edge" lines), until the trace stops or is deleted.
// First come the edges it already holds (whose first packet is within `since`, or all),
// then new ones as they arrive, and an edge again, `named`, when its pod looked its address
// up after it was first seen. Counter growth is not streamed: the graph API has it.
// A blank line now and then keeps proxies from closing a quiet stream; skip it. With
// several operator replicas, the one asked streams every replica's edges: a `coverage`
// line says which replicas are in it once each has answered, and again when one drops out.
import type { Edge } from './edge.js';
import type { Coverage } from './graph.js';

export const EDGES_STREAM_PREFIX = '/api/v1/traces/';
export const EDGES_STREAM_SUFFIX = 'edges';
/** How far back the replay reaches: a duration like 30s, 5m, 1h (lib/duration.ts). */
export const SINCE_PARAM = 'since';
export const EDGES_STREAM_TYPE = 'application/x-ndjson';

export const edgesStreamPath = (namespace: string, name: string): string =>
  `${EDGES_STREAM_PREFIX}${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${EDGES_STREAM_SUFFIX}`;

/**
 * Why a stream ended: the trace stopped, its Trace was deleted, the operator is going, the
 * client read too slowly; or, to be asked again (with `since` covering the gap), no edge
 * for a while ('idle') or the stream's lifetime is over.
 */
export type EdgesStreamEnd = 'stopped' | 'deleted' | 'shutdown' | 'too slow' | 'idle' | 'lifetime';

/** One line of the stream. */
export type EdgesStreamLine =
  /**
   * An edge, edgeToJSON's fields with `node` set; `firstSeen` says when its first packet was.
   * `named`: an edge already sent, again with the name its pod looked up later (remoteName,
   * remoteNameSource, remoteCanonicalName). A client that shows each node and edgeKey once
   * skips it, as before the flag.
   */
  | { edge: Edge; named?: true }
  /** The replicas whose nodes' edges the stream carries (only when there are several). */
  | { coverage: Coverage }
  /** The last line. */
  | { end: EdgesStreamEnd };
