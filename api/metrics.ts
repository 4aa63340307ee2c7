// The Prometheus metrics netgraph exports, a contract with users' dashboards: ngraph's
// two names (written by the operator and by `netgraph-gadget local --textfile-dir`)
// and netgraph's own edge counters (the operator). Names, help and label names only:
// how series are shaped and bounded is in operator/metrics/.
import type { Edge } from './edge.js';

/** ngraph's names: connections a pod accepted (HOST edges) and opened (OUTGOING edges). */
export const NGRAPH_INPUT = 'network_connections_input_total';
export const NGRAPH_OUTPUT = 'network_connections_output_total';
export const NGRAPH_LABELS = ['src_ip', 'dest_ip', 'peer_hostname'] as const;
export const NGRAPH_HELP = {
  [NGRAPH_INPUT]: 'Connections accepted, by peer (ngraph name; a true counter in netgraph)',
  [NGRAPH_OUTPUT]: 'Connections opened, by peer (ngraph name; a true counter in netgraph)',
} as const;
/** netgraph's addition to ngraph's textfile: the bytes of the same edges, `direction` sent/received. */
export const NGRAPH_INPUT_BYTES = 'network_connections_input_bytes_total';
export const NGRAPH_OUTPUT_BYTES = 'network_connections_output_bytes_total';

export type NgraphLabels = Record<(typeof NGRAPH_LABELS)[number], string>;

/**
 * ngraph's labels of an edge: for an accepted connection the peer is the source, for an
 * opened one the destination; `local` is the pod's (or namespace's) own address.
 */
export function ngraphLabels(
  e: Pick<Edge, 'pktType'>,
  local: string,
  peer: string,
  peerHostname: string,
): NgraphLabels {
  return e.pktType === 'HOST'
    ? { src_ip: peer, dest_ip: local, peer_hostname: peerHostname }
    : { src_ip: local, dest_ip: peer, peer_hostname: peerHostname };
}

export const ngraphName = (e: Pick<Edge, 'pktType'>): string =>
  e.pktType === 'HOST' ? NGRAPH_INPUT : NGRAPH_OUTPUT;
export const ngraphBytesName = (e: Pick<Edge, 'pktType'>): string =>
  e.pktType === 'HOST' ? NGRAPH_INPUT_BYTES : NGRAPH_OUTPUT_BYTES;

/** netgraph's edge counters. */
export const EDGE_CONNECTIONS = 'netgraph_edge_connections_total';
export const EDGE_BYTES = 'netgraph_edge_bytes_total';
export const EDGE_PACKETS = 'netgraph_edge_packets_total';

/**
 * Their labels. The local side is the traced pod's workload (its top owner, or the pod itself
 * as kind Pod); `pkt_type` says which side opened the connection (OUTGOING: the local side is
 * the client). The last four are set only where the user opts in (flag or Trace parameter).
 */
/** The labels every edge series has: a workload-level edge. */
export const WORKLOAD_EDGE_LABELS = [
  'trace',
  'namespace',
  'workload',
  'workload_kind',
  'pkt_type',
  'remote_kind',
  'remote_namespace',
  'remote_workload',
  'proto',
  'port',
] as const;
export const EDGE_LABELS = [
  ...WORKLOAD_EDGE_LABELS,
  'pod',
  'pod_ip',
  'remote_pod',
  'remote_ip',
] as const;
export type EdgeLabelName = (typeof EDGE_LABELS)[number];
export type EdgeLabels = Partial<Record<EdgeLabelName, string>>;

/** Opt-in label groups: `pod` adds pod and remote_pod, `ip` adds pod_ip and remote_ip. */
export const METRICS_LABEL_OPTIONS = ['pod', 'ip'] as const;
export type MetricsLabelOption = (typeof METRICS_LABEL_OPTIONS)[number];
