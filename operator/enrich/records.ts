// What the operator keeps of each watched object: only the fields enrichment
// reads. A whole Pod is several kilobytes (spec, managedFields, container
// statuses); these records are a few hundred bytes, which is what keeps 10,000
// pods and 2,000 services well inside the operator's memory budget.

import { isIP } from 'node:net';
import type { Labels } from '../../api/edge.js';
import { canonicalIP } from '../../lib/ip.js';
import type {
  Job,
  Node,
  ObjectMeta,
  OwnerReference,
  Pod,
  ReplicaSet,
  Service,
} from '../../lib/kube-objects.js';

/** An ownerReference with controller=true. */
export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** The top known owner of a pod (Deployment, StatefulSet, CronJob, ...). */
export interface Owner {
  readonly kind: string;
  readonly name: string;
}

export interface PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string | undefined;
  /** status.podIPs, primary first. */
  readonly ips: readonly string[];
  /** status.hostIPs (or hostIP), primary first. */
  readonly hostIPs: readonly string[];
  readonly labels: Labels;
  /** A hostNetwork pod's IPs are its node's: they identify the node, not the pod. */
  readonly hostNetwork: boolean;
  /** Succeeded or Failed: the sandbox and its IPs are gone. */
  readonly terminal: boolean;
  readonly controller: OwnerRef | undefined;
  /** Memos kept by ClusterState, tagged with the generation they were computed at. */
  ownerMemo?: { readonly gen: number; readonly owner: Owner | undefined };
  servicesMemo?: { readonly gen: number; readonly services: readonly ServiceRecord[] };
}

export interface ServiceRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** spec.clusterIPs (none when headless), status.loadBalancer.ingress[].ip, spec.externalIPs. */
  readonly ips: readonly string[];
  /** spec.ports[].port: picks the service when several share a load-balancer or external IP. */
  readonly ports: readonly number[];
  /** spec.selector; undefined when the service selects no pods. */
  readonly selector: Labels | undefined;
}

export interface NodeRecord {
  readonly name: string;
  /** node/<name>: how an edge names a node address in remoteName. */
  readonly ref: string;
  /** status.addresses that are IP addresses (InternalIP, ExternalIP, ...), not host names. */
  readonly ips: readonly string[];
  /** spec.podCIDRs: where the CNI gives the node's pods addresses (and, with ptp or
   * bridge, the node itself one: the gateway its kubelet probes pods from). */
  readonly podCIDRs: readonly string[];
}

/** A ReplicaSet or a Job: the objects the owner walk steps through. */
export interface ControllerRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly controller: OwnerRef | undefined;
}

const NO_LABELS: Labels = Object.freeze({});

/** A frozen copy: edges share it, so no consumer may change it under the cache. */
function labels(l: Record<string, string> | undefined): Labels {
  return l && Object.keys(l).length > 0 ? Object.freeze({ ...l }) : NO_LABELS;
}

/** Canonical, de-duplicated IP addresses (a list may repeat an address in another form). */
function ipList(ips: Iterable<string | undefined>): string[] {
  const out: string[] = [];
  for (const ip of ips) {
    if (!ip) continue;
    const c = canonicalIP(ip);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

function controllerRef(refs: OwnerReference[] | undefined): OwnerRef | undefined {
  const r = refs?.find((ref) => ref.controller === true);
  return r && { apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid };
}

/** The store's key for a namespaced object: its uid, or namespace/name if it has none (fixtures). */
export const objectKey = (m: ObjectMeta | undefined): string =>
  m?.uid || `${m?.namespace ?? ''}/${m?.name ?? ''}`;

export function podRecord(pod: Pod): PodRecord {
  const m = pod.metadata;
  const s = pod.status;
  const phase = s?.phase;
  return {
    uid: objectKey(m),
    namespace: m?.namespace ?? '',
    name: m?.name ?? '',
    nodeName: pod.spec?.nodeName,
    ips: ipList([s?.podIP, ...(s?.podIPs ?? []).map((p) => p.ip)]),
    hostIPs: ipList([s?.hostIP, ...(s?.hostIPs ?? []).map((h) => h.ip)]),
    labels: labels(m?.labels),
    hostNetwork: pod.spec?.hostNetwork === true,
    terminal: phase === 'Succeeded' || phase === 'Failed',
    controller: controllerRef(m?.ownerReferences),
  };
}

export function serviceRecord(svc: Service): ServiceRecord {
  const m = svc.metadata;
  const spec = svc.spec;
  // A headless service (clusterIP None) has no virtual IP of its own.
  const clusterIPs = (spec?.clusterIPs ?? [spec?.clusterIP]).filter((ip) => ip !== 'None');
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
  const selector = spec?.selector;
  return {
    uid: objectKey(m),
    namespace: m?.namespace ?? '',
    name: m?.name ?? '',
    ips: ipList([...clusterIPs, ...ingress, ...(spec?.externalIPs ?? [])]),
    ports: (spec?.ports ?? []).map((p) => p.port),
    selector: selector && Object.keys(selector).length > 0 ? labels(selector) : undefined,
  };
}

export function nodeRecord(node: Node): NodeRecord {
  const addresses = node.status?.addresses ?? [];
  const name = node.metadata?.name ?? '';
  return {
    name,
    ref: `node/${name}`,
    ips: ipList(addresses.map((a) => a.address).filter((a) => isIP(a) !== 0)),
    podCIDRs: node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []),
  };
}

export function controllerRecord(obj: ReplicaSet | Job): ControllerRecord {
  const m = obj.metadata;
  return {
    uid: objectKey(m),
    namespace: m?.namespace ?? '',
    name: m?.name ?? '',
    controller: controllerRef(m?.ownerReferences),
  };
}
