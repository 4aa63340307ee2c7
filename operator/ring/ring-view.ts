// Which replicas make up the ring now, and whether they all agree: pure, from the
// replicas' Leases. A replica acts on what it owns only in a settled view, one every
// live member has said it settled on (released all it does not own there), so no node
// or Trace is ever handled by two replicas, a rolling update included.
import { createHash } from 'node:crypto';
import type { Replica } from '../../api/ring.js';

export interface RingView {
  /** Names the member set: equal sets, equal ids. '' for the empty ring. */
  id: string;
  /** Live members' ids, sorted. */
  members: readonly string[];
}

export const EMPTY_VIEW: RingView = { id: '', members: [] };

/** The view of the replicas whose Leases still hold at `now`. */
export function liveView(replicas: Iterable<Replica>, now: number): RingView {
  const members = [...replicas]
    .filter((r) => r.expires > now)
    .map((r) => r.id)
    .sort();
  if (members.length === 0) return EMPTY_VIEW;
  const id = createHash('sha256').update(members.join('\n')).digest('hex').slice(0, 16);
  return { id, members };
}

/** Every member of `view` has settled on it. */
export function isSettled(view: RingView, replicas: ReadonlyMap<string, Replica>): boolean {
  return view.id !== '' && view.members.every((m) => replicas.get(m)?.view === view.id);
}
