// A name the pod learned after the operator first saw the edge: the agent sends it on
// a later update, and the kept (enriched) edge takes it if it has no better one. Only
// the name fields move; the rest of the enrichment stays as it was. The pod's own DNS
// answer beats a reverse lookup, and a node's name (the cluster's own word) stays.
import type { Edge } from '../../api/edge.js';

/** Fills kept's name from update's DNS name where kept has none or a PTR one; true if it did. */
export function adoptName(kept: Edge, update: Edge): boolean {
  if (update.remoteNameSource !== 'dns' || !update.remoteName) return false;
  if (kept.remoteName && kept.remoteNameSource !== 'ptr') return false;
  kept.remoteName = update.remoteName;
  kept.remoteNameSource = 'dns';
  kept.remoteCanonicalName = update.remoteCanonicalName;
  return true;
}
