// The edge event: one JSON object per edge, field names exactly as Inspektor
// Gadget's network-graph `types.Event` (the README's edge fields).
import { runToEnd, type Steps } from '../lib/time-slices.js';

export type EdgeEventType = 'normal' | 'err' | 'warn' | 'debug';
/** HOST: the pod received the first packet (it is the server); OUTGOING: it sent it. */
export type PktType = 'HOST' | 'OUTGOING';
export type Proto = 'tcp' | 'udp';
export type RemoteKind = 'pod' | 'svc' | 'other';
export type Labels = Record<string, string>;
/**
 * Where remoteName comes from: a DNS answer the pod received (its agent), a reverse
 * (PTR) lookup by the operator, or the cluster's Nodes (node/<name>).
 */
export type RemoteNameSource = 'dns' | 'ptr' | 'node';

/** Inspektor Gadget's eventtypes.Event. */
export interface BaseEvent {
  node?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  type: EdgeEventType;
  message?: string;
}

/** Traffic counted on one edge, from the pod's side. */
export interface EdgeCounters {
  connections?: number;
  packetsSent?: number;
  packetsReceived?: number;
  bytesSent?: number;
  bytesReceived?: number;
  bytesTotal?: number;
}

export interface Edge extends BaseEvent, EdgeCounters {
  pktType?: PktType;
  proto?: Proto;
  /** The remote peer. */
  ip?: string;
  /** The server-side port: the remote port for OUTGOING, the pod's own for HOST. */
  port?: number;
  remoteKind?: RemoteKind;
  podHostIP?: string;
  podIP?: string;
  podOwner?: string;
  podLabels?: Labels;
  remoteServiceNamespace?: string;
  remoteServiceName?: string;
  remoteServiceLabelSelector?: Labels;
  remotePodNamespace?: string;
  remotePodName?: string;
  remotePodLabels?: Labels;
  remoteOther?: string;
  debug?: string;
  // netgraph's additions; the names above keep their meaning.
  /** Kind of the top owner named in podOwner (Deployment, StatefulSet, ...). */
  podOwnerKind?: string;
  /**
   * A readable name for the remote: the name the pod asked DNS for (any remote kind),
   * for an `other` address else node/<name> or a reverse-DNS name; remoteNameSource says which.
   */
  remoteName?: string;
  remoteNameSource?: RemoteNameSource;
  /** With remoteNameSource dns: the end of the CNAME chain, when it is not remoteName. */
  remoteCanonicalName?: string;
  /** RFC 3339 times of the first and latest packet seen on the edge. */
  firstSeen?: string;
  lastSeen?: string;
  /** With groupBy: the group names that replace namespace/pod and the remote. */
  group?: string;
  remoteGroup?: string;
  /**
   * OUTGOING TCP: the process (pid, command) that opened every connection of the
   * edge, where the kernel says; left out when unknown or when they differ.
   */
  pid?: number;
  comm?: string;
}

export const COUNTER_FIELDS = [
  'connections',
  'packetsSent',
  'packetsReceived',
  'bytesSent',
  'bytesReceived',
  'bytesTotal',
] as const satisfies readonly (keyof EdgeCounters)[];

/** JSON field order: the seed's struct order, then netgraph's additions. */
export const EDGE_FIELDS = [
  'node',
  'namespace',
  'pod',
  'container',
  'type',
  'message',
  'pktType',
  'proto',
  'ip',
  'port',
  'remoteKind',
  'podHostIP',
  'podIP',
  'podOwner',
  'podLabels',
  'remoteServiceNamespace',
  'remoteServiceName',
  'remoteServiceLabelSelector',
  'remotePodNamespace',
  'remotePodName',
  'remotePodLabels',
  'remoteOther',
  'debug',
  'podOwnerKind',
  'remoteName',
  'remoteNameSource',
  'remoteCanonicalName',
  'group',
  'remoteGroup',
  'pid',
  'comm',
  ...COUNTER_FIELDS,
  'firstSeen',
  'lastSeen',
] as const satisfies readonly (keyof Edge)[];

/** Go's `omitempty`: empty strings, zero numbers and empty maps are left out. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0) return true;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** The edge as Go's encoding/json would render it: contract order, empty fields omitted. */
export function edgeToJSON(e: Edge): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of EDGE_FIELDS) {
    const v = e[f];
    // `type` has no omitempty in the base event.
    if (f === 'type' || !isEmpty(v)) out[f] = v;
  }
  return out;
}

/** Inspektor Gadget's Event.Key(). */
export function edgeKey(e: Edge): string {
  return `${e.namespace ?? ''}/${e.pod ?? ''}/${e.pktType ?? ''}/${e.proto ?? ''}/${e.ip ?? ''}/${e.port ?? 0}`;
}

/** Inspektor Gadget's Unique(): keeps the first event per key, in order. */
export function unique(edges: Iterable<Edge>): Edge[] {
  return runToEnd(uniqueSteps(edges));
}

/** unique() as work that pauses before each edge (lib/time-slices), for a long history. */
export function* uniqueSteps(edges: Iterable<Edge>): Steps<Edge[]> {
  const seen = new Map<string, Edge>();
  for (const e of edges) {
    yield;
    const k = edgeKey(e);
    if (!seen.has(k)) seen.set(k, e);
  }
  return [...seen.values()];
}

/** Inspektor Gadget's EventsString(): the edges as one JSON array. */
export function eventsString(edges: Iterable<Edge>): string {
  return JSON.stringify([...edges].map(edgeToJSON));
}

export const sameCounters = (a: EdgeCounters, b: EdgeCounters): boolean =>
  COUNTER_FIELDS.every((f) => a[f] === b[f]);

/** Copies cumulative counters (and the latest time seen) from `from` onto `to`. */
export function copyCounters(to: Edge, from: Edge): void {
  for (const f of COUNTER_FIELDS) to[f] = from[f];
  to.lastSeen = from.lastSeen;
  // The process becomes known (or ambiguous) as the connections' owners come in.
  to.pid = from.pid;
  to.comm = from.comm;
}

/** Adds b's counters into a (connections, packets, bytes), keeping the widest time span. */
export function addCounters(a: Edge, b: EdgeCounters & Pick<Edge, 'firstSeen' | 'lastSeen'>): void {
  a.connections = (a.connections ?? 0) + (b.connections ?? 0);
  a.packetsSent = (a.packetsSent ?? 0) + (b.packetsSent ?? 0);
  a.packetsReceived = (a.packetsReceived ?? 0) + (b.packetsReceived ?? 0);
  a.bytesSent = (a.bytesSent ?? 0) + (b.bytesSent ?? 0);
  a.bytesReceived = (a.bytesReceived ?? 0) + (b.bytesReceived ?? 0);
  a.bytesTotal = a.bytesSent + a.bytesReceived;
  if (b.firstSeen && (!a.firstSeen || b.firstSeen < a.firstSeen)) a.firstSeen = b.firstSeen;
  if (b.lastSeen && (!a.lastSeen || b.lastSeen > a.lastSeen)) a.lastSeen = b.lastSeen;
}
