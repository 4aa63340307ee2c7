// The contract between operator replicas (docs/architecture.md, "Replicas"). Each
// replica holds a Lease in the operator's namespace; the live ones form the ring that
// nodes and Traces are spread over by rendezvous hashing. A replica's Lease says where
// its port is, for peers that fan reads in, and which ring view it has settled on: it
// holds no node another replica owns in that view.
import { AGENT_ENDPOINT_ANNOTATION } from './agent.js';
import { type Lease, leaseExpiry, leaseObject } from './lease.js';

/** Label on every replica Lease; the ring's watch selects on it. */
export const REPLICA_LEASE_LABEL = 'netgraph.dev/operator-replica';
/** Lease name per replica. */
export const replicaLeaseName = (id: string): string => `netgraph-operator-${id}`;
/** The replica's base URL (https), as the agents' Leases carry theirs. */
export const REPLICA_ENDPOINT_ANNOTATION = AGENT_ENDPOINT_ANNOTATION;
/** The ring view (a hash of its members) the replica has released every other node for. */
export const REPLICA_VIEW_ANNOTATION = 'netgraph.dev/ring-view';
/** How long a replica Lease holds without renewal. */
export const REPLICA_LEASE_SECONDS = 15;

/** Query parameter a replica adds when it asks a peer for that peer's own nodes only. */
export const LOCAL_SCOPE_PARAM = 'scope';
export const LOCAL_SCOPE = 'local';

/**
 * GET: the edges of a trace's nodes this replica follows now, each with its node and its
 * counters as the agent last sent them (a JSON array of Edge): what the Trace's leader
 * sums into the status. Local only.
 */
export const replicaNodeEdgesPath = (namespace: string, name: string): string =>
  `/api/v1/traces/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/node-edges`;

/** What a replica's Lease says. */
export interface Replica {
  id: string;
  /** Base URL of its HTTPS port; '' when it serves none peers can reach. */
  endpoint: string;
  /** The ring view it has settled on ('' before the first). */
  view: string;
  /** Until when the Lease holds (ms since epoch). */
  expires: number;
}

/** The Lease a replica writes for itself, renewed at `renewed`. */
export function replicaLease(namespace: string, r: Omit<Replica, 'expires'>, renewed: Date): Lease {
  return leaseObject(
    {
      name: replicaLeaseName(r.id),
      namespace,
      label: REPLICA_LEASE_LABEL,
      annotations: { [REPLICA_ENDPOINT_ANNOTATION]: r.endpoint, [REPLICA_VIEW_ANNOTATION]: r.view },
      holder: r.id,
      seconds: REPLICA_LEASE_SECONDS,
    },
    renewed,
  );
}

/** The replica a Lease announces, or undefined when it lacks a field. */
export function replicaFromLease(lease: Lease): Replica | undefined {
  const id = lease.spec?.holderIdentity;
  if (lease.metadata?.labels?.[REPLICA_LEASE_LABEL] !== 'true') return undefined;
  const expires = leaseExpiry(lease, REPLICA_LEASE_SECONDS);
  if (!id || Number.isNaN(expires)) return undefined;
  const a = lease.metadata?.annotations ?? {};
  return {
    id,
    endpoint: a[REPLICA_ENDPOINT_ANNOTATION] ?? '',
    view: a[REPLICA_VIEW_ANNOTATION] ?? '',
    expires,
  };
}

/** What reads that fan in across replicas need of the ring. */
export interface Peers {
  /** This replica's id. */
  readonly self: string;
  /** The other live replicas, with where their ports are. */
  others(): Replica[];
}
