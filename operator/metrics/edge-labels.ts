// The labels of an enriched edge's series, pure. netgraph's own series are at workload
// level: the local pod's top owner (or the pod, kind Pod, when it has none), the remote's
// workload, Service or bucketed network, the server port (never an ephemeral one: the
// edge's port is the server side's). Pod names and IPs only when opted in. ngraph's
// series carry IPs by design; peers outside the cluster are bucketed there too.
import type { Edge } from '../../api/edge.js';
import {
  type EdgeLabels,
  type MetricsLabelOption,
  type NgraphLabels,
  ngraphLabels,
} from '../../api/metrics.js';
import { type PeerPrefixes, peerBucket } from './peer-bucket.js';

export interface Workload {
  kind: string;
  name: string;
}

export interface LabelOptions {
  peer: PeerPrefixes;
  optIn: ReadonlySet<MetricsLabelOption>;
}

/**
 * A workload's identity, as the grace-period sweep checks it: namespace/Kind/name. Joined,
 * not a template, so that a series keeps one flat string (see labelText in exposition.ts).
 */
export const workloadId = (namespace: string, w: Workload): string =>
  [namespace, w.kind, w.name].join('/');

export const localWorkload = (e: Edge): Workload =>
  e.podOwner
    ? { kind: e.podOwnerKind ?? 'Pod', name: e.podOwner }
    : { kind: 'Pod', name: e.pod ?? '' };

/** The name of an `other` remote: node/<name> or a DNS name when known, else its network. */
function otherName(e: Edge, peer: PeerPrefixes): string {
  return e.remoteName || peerBucket(e.remoteOther ?? e.ip ?? '', peer);
}

export function edgeLabels(
  trace: string,
  e: Edge,
  remoteOwner: Workload | undefined,
  o: LabelOptions,
): EdgeLabels {
  const local = localWorkload(e);
  const l: EdgeLabels = {
    trace,
    namespace: e.namespace ?? '',
    workload: local.name,
    workload_kind: local.kind,
    pkt_type: e.pktType ?? '',
    remote_kind: e.remoteKind ?? 'other',
    proto: e.proto ?? '',
    port: String(e.port ?? 0),
  };
  if (e.remoteKind === 'svc') {
    l.remote_namespace = e.remoteServiceNamespace ?? '';
    l.remote_workload = e.remoteServiceName ?? '';
  } else if (e.remoteKind === 'pod') {
    l.remote_namespace = e.remotePodNamespace ?? '';
    l.remote_workload = remoteOwner?.name ?? e.remotePodName ?? '';
  } else {
    l.remote_namespace = '';
    l.remote_workload = otherName(e, o.peer);
  }
  if (o.optIn.has('pod')) {
    l.pod = e.pod ?? '';
    l.remote_pod = e.remotePodName ?? '';
  }
  if (o.optIn.has('ip')) {
    l.pod_ip = e.podIP ?? '';
    l.remote_ip = e.ip ?? '';
  }
  return l;
}

/** ngraph's labels: exact addresses inside the cluster, networks outside it. */
export function edgeNgraphLabels(e: Edge, peer: PeerPrefixes): NgraphLabels {
  let peerIP = e.ip ?? '';
  let hostname = '';
  if (e.remoteKind === 'svc')
    hostname = `${e.remoteServiceNamespace ?? ''}/${e.remoteServiceName ?? ''}`;
  else if (e.remoteKind === 'pod')
    hostname = `${e.remotePodNamespace ?? ''}/${e.remotePodName ?? ''}`;
  else {
    hostname = e.remoteName ?? '';
    // A node's address is one of a few; anything else outside the cluster is bucketed.
    if (!hostname.startsWith('node/')) peerIP = peerBucket(peerIP, peer);
  }
  return ngraphLabels(e, e.podIP ?? '', peerIP, hostname);
}

/** The workloads a series names, for the grace-period sweep: the local one and a remote pod's. */
export function seriesWorkloads(e: Edge, remoteOwner: Workload | undefined): string[] {
  const ids = [workloadId(e.namespace ?? '', localWorkload(e))];
  if (e.remoteKind === 'pod' && e.remotePodName)
    ids.push(
      workloadId(e.remotePodNamespace ?? '', remoteOwner ?? { kind: 'Pod', name: e.remotePodName }),
    );
  return ids;
}
