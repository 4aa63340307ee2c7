// The byte layouts shared with bpf/netgraph.bpf.c (checked against its BTF by
// gadget/dataplane/bpf-object.test.ts). Ports are in network byte order in every key.
import type { PktType, Proto } from '../../api/edge.js';

export const PACKET_HOST = 0;
export const PACKET_OUTGOING = 4;
export const PROTO_NUMBER: Record<Proto, number> = { tcp: 6, udp: 17 };
export const NO_EDGE = 0xffffffff;
/** struct edge's `valid`: published, or taken and then given back by the program (a lost race). */
export const SLOT_VALID = 1;
export const SLOT_SPARE = 2;
/** Pod ids are 1..MAX_PODS-1 (0 is no pod): the size of `pods` and `pod_of`. */
export const MAX_PODS = 4096;

export type Family = 4 | 6;

/** struct flow_key: a pod's 5-tuple, from its side. */
export const FLOW_KEY = {
  size: 40,
  family: 0,
  proto: 1,
  lport: 2,
  rport: 4,
  pod: 6,
  lip: 8,
  rip: 24,
};
/** struct flow_val. */
export const FLOW_VAL = { size: 8, edge: 0, synSeq: 4 };
/** struct edge_key. */
export const EDGE_KEY = { size: 24, pktType: 0, proto: 1, family: 2, port: 4, pod: 6, ip: 8 };
/** struct edge: one slot of the mmapable `edges` array, three cache lines. */
export const EDGE = {
  size: 192,
  key: 0,
  valid: 24,
  connections: 32,
  firstSeen: 40,
  sent: 64,
  received: 128,
};
/** struct dir_counters, at EDGE.sent and EDGE.received. */
export const DIR = { size: 64, packets: 0, bytes: 8, lastSeen: 16 };
/** struct state, the object's .bss. */
export const STATE = {
  size: 40,
  head: 0,
  tail: 8,
  maxEdges: 16,
  fairShare: 20,
  reserve: 24,
  dns: 28,
  dnsDrops: 32,
};
/**
 * struct dns_event: a record of the `dns_answers` ring buffer (not in the object's BTF,
 * which holds no ring buffer record type: test/netns/dns-capture.test.ts reads real ones).
 */
export const DNS_EVENT = { size: 528, pod: 0, len: 4, captured: 6, proto: 8, payload: 16 };
/** struct pod_state: one entry of the mmapable `pods` array. */
export const POD_STATE = { size: 32, edges: 0, edgeDrops: 8, flowDrops: 16, midstream: 24 };
/** An entry of the mmapable `free_edges` ring: a u32 slot number, 8 bytes apart (array elements are 8-aligned). */
export const FREE_EDGE = { size: 8 };
/** struct flow_cache: an entry of `last_flow`, `slots` of them per CPU. */
export const FLOW_CACHE = { size: 96, slots: 16 };
/** struct pod_key: a `pod_of` key (built in pod-of.js, for the netns worker). */
export const POD_KEY = { size: 24, kind: 0, addr: 8 };

export interface FlowTuple {
  family: Family;
  proto: Proto;
  /** 4 or 16 bytes. */
  localIp: Uint8Array;
  localPort: number;
  remoteIp: Uint8Array;
  remotePort: number;
}

export interface EdgeId {
  pktType: PktType;
  proto: Proto;
  family: Family;
  /** The remote peer, 4 or 16 bytes. */
  ip: Uint8Array;
  /** The server-side port. */
  port: number;
}

export function encodeFlowKey(t: FlowTuple, pod: number): Buffer {
  const b = Buffer.alloc(FLOW_KEY.size);
  b[FLOW_KEY.family] = t.family;
  b[FLOW_KEY.proto] = PROTO_NUMBER[t.proto];
  b.writeUInt16BE(t.localPort, FLOW_KEY.lport);
  b.writeUInt16BE(t.remotePort, FLOW_KEY.rport);
  b.writeUInt16LE(pod, FLOW_KEY.pod);
  b.set(t.localIp, FLOW_KEY.lip);
  b.set(t.remoteIp, FLOW_KEY.rip);
  return b;
}

export function encodeFlowVal(edge: number, synSeq = 0): Buffer {
  const b = Buffer.alloc(FLOW_VAL.size);
  b.writeUInt32LE(edge, FLOW_VAL.edge);
  b.writeUInt32LE(synSeq, FLOW_VAL.synSeq);
  return b;
}

export function encodeEdgeKey(e: EdgeId, pod: number): Buffer {
  const b = Buffer.alloc(EDGE_KEY.size);
  b[EDGE_KEY.pktType] = e.pktType === 'HOST' ? PACKET_HOST : PACKET_OUTGOING;
  b[EDGE_KEY.proto] = PROTO_NUMBER[e.proto];
  b[EDGE_KEY.family] = e.family;
  b.writeUInt16BE(e.port, EDGE_KEY.port);
  b.writeUInt16LE(pod, EDGE_KEY.pod);
  b.set(e.ip, EDGE_KEY.ip);
  return b;
}

/** The edge a seeded flow belongs to: the server side's port, the remote peer. */
export function edgeOfFlow(t: FlowTuple, pktType: PktType): EdgeId {
  return {
    pktType,
    proto: t.proto,
    family: t.family,
    ip: t.remoteIp,
    port: pktType === 'OUTGOING' ? t.remotePort : t.localPort,
  };
}
