// The cluster as enrichment sees it, fed by the operator's watches (one informer
// per kind, cluster-wide) so that Kubernetes API load does not grow with nodes
// times pods. Every object is reduced to a compact record (records.ts) and
// indexed the ways enrichment asks: IP -> service, IP -> pod (with history, for
// reused IPs), IP -> node (its addresses, and its pod range), namespace/name ->
// pod, and the ReplicaSets and Jobs the owner walk steps through. Owner and
// selecting-service answers are memoized on the pod record and invalidated by
// generation counters, so the per-edge cost is a few map lookups.
import type { Labels } from '../../api/edge.js';
import type { Informers } from '../../lib/informer.js';
import type { WatchEventType } from '../../lib/kube.js';
import type { Job, KubeObject, Node, Pod, ReplicaSet, Service } from '../../lib/kube-objects.js';
import { IpHistory } from './ip-history.js';
import { type ControllerLookup, podOwner, type StepKind } from './owner.js';
import { PodRanges } from './pod-ranges.js';
import {
  type ControllerRecord,
  controllerRecord,
  type NodeRecord,
  nodeRecord,
  type Owner,
  objectKey,
  type PodRecord,
  podRecord,
  type ServiceRecord,
  serviceRecord,
} from './records.js';

export interface KindObjects {
  Pod: Pod;
  Service: Service;
  Node: Node;
  ReplicaSet: ReplicaSet;
  Job: Job;
}
export type Kind = keyof KindObjects;

/** The cluster-wide collections enrichment watches, one informer each (shared with others). */
export const CLUSTER_STATE_WATCHES: Record<Kind, string> = {
  Pod: '/api/v1/pods',
  Service: '/api/v1/services',
  Node: '/api/v1/nodes',
  ReplicaSet: '/apis/apps/v1/replicasets',
  Job: '/apis/batch/v1/jobs',
};

export interface ClusterStateOptions {
  /** How long a deleted pod still answers for its name and its IPs (default 5 minutes). */
  retentionMs?: number;
  now?: () => number;
}

/** Counts, for logs and the benchmark. */
export interface ClusterStateStats {
  pods: number;
  services: number;
  nodes: number;
  replicaSets: number;
  jobs: number;
  podIPs: number;
  serviceIPs: number;
  nodeIPs: number;
}

/** namespace -> name -> value, so that a lookup builds no key string. */
type ByName<T> = Map<string, Map<string, T>>;

function getNamed<T>(m: ByName<T>, namespace: string, name: string): T | undefined {
  return m.get(namespace)?.get(name);
}

function setNamed<T>(m: ByName<T>, namespace: string, name: string, v: T): void {
  let inner = m.get(namespace);
  if (inner === undefined) {
    inner = new Map();
    m.set(namespace, inner);
  }
  inner.set(name, v);
}

/** Deletes v, unless a newer object of the same name has replaced it. */
function deleteNamed<T>(m: ByName<T>, namespace: string, name: string, v: T): void {
  const inner = m.get(namespace);
  if (inner === undefined || inner.get(name) !== v) return;
  inner.delete(name);
  if (inner.size === 0) m.delete(namespace);
}

/** A pod's IPs that identify it: none for hostNetwork (they are the node's) or finished pods. */
const ownIPs = (p: PodRecord | undefined): readonly string[] =>
  p === undefined || p.hostNetwork || p.terminal ? [] : p.ips;

/** Every key of selector has the same value in labels. (Records keep no empty selector.) */
export function selects(selector: Labels, labels: Labels): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

function sameLabels(a: Labels, b: Labels): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  return n === Object.keys(b).length;
}

export class ClusterState implements ControllerLookup {
  private readonly now: () => number;
  private readonly retentionMs: number;

  private readonly pods = new Map<string, PodRecord>();
  private readonly podsByName: ByName<PodRecord> = new Map();
  private readonly podIPs: IpHistory<PodRecord>;
  /** Deleted pods still answering for their name until prune() passes their time. */
  private deletedPods: { pod: PodRecord; at: number }[] = [];

  private readonly services = new Map<string, ServiceRecord>();
  private readonly servicesByNamespace = new Map<string, Set<ServiceRecord>>();
  /** Usually one service per IP; load-balancer and external IPs may be shared. */
  private readonly serviceIPs = new Map<string, ServiceRecord[]>();

  private readonly nodes = new Map<string, NodeRecord>();
  private readonly nodeIPs = new Map<string, NodeRecord>();
  private readonly podRanges = new PodRanges<NodeRecord>();

  private readonly controllers: Record<StepKind, Map<string, ControllerRecord>> = {
    ReplicaSet: new Map(),
    Job: new Map(),
  };
  private readonly controllersByName: Record<StepKind, ByName<ControllerRecord>> = {
    ReplicaSet: new Map(),
    Job: new Map(),
  };

  /** Bumped when an owner chain may have changed: pod owner memos older than it are stale. */
  private ownerGen = 0;
  /**
   * Per namespace, bumped on every change to its services: selecting-service memos of its pods
   * older than it are stale. A service only selects pods of its own namespace.
   */
  private readonly serviceGens = new Map<string, number>();
  private lastPrune = 0;

  constructor(options: ClusterStateOptions = {}) {
    this.now = options.now ?? Date.now;
    this.retentionMs = options.retentionMs ?? 5 * 60_000;
    this.podIPs = new IpHistory<PodRecord>((p) => p.uid, {
      retentionMs: this.retentionMs,
      now: this.now,
    });
  }

  /** Subscribes to every collection of CLUSTER_STATE_WATCHES; resolves once all have synced. */
  subscribe(informers: Informers): Promise<void> {
    const subs = (Object.entries(CLUSTER_STATE_WATCHES) as [Kind, string][]).map(([kind, path]) =>
      informers.subscribe<KubeObject>(path, {
        onReset: (items) => this.reset(kind, items as KindObjects[Kind][]),
        onEvent: (type, obj) => this.apply(kind, type, obj as KindObjects[Kind]),
      }),
    );
    return Promise.all(subs.map((s) => s.synced)).then(() => {});
  }

  /** One watch event. DELETED carries the object's last state. */
  apply<K extends Kind>(kind: K, type: WatchEventType, obj: KindObjects[K]): void {
    const deleted = type === 'DELETED';
    if (kind === 'Pod') this.applyPod(obj as Pod, deleted);
    else if (kind === 'Service') this.applyService(obj as Service, deleted);
    else if (kind === 'Node') this.applyNode(obj as Node, deleted);
    else this.applyController(kind as StepKind, obj as ReplicaSet | Job, deleted);
  }

  /**
   * A relist: objs is every object of kind. Objects missing from it count as deleted now, so
   * IP history survives a relist (a plain clear would forget who held an IP a second ago).
   */
  reset<K extends Kind>(kind: K, objs: readonly KindObjects[K][]): void {
    const present = new Set<string>();
    for (const obj of objs) {
      present.add(kind === 'Node' ? (obj.metadata?.name ?? '') : objectKey(obj.metadata));
      this.apply(kind, 'MODIFIED', obj);
    }
    switch (kind) {
      case 'Pod':
        for (const [uid, p] of this.pods) if (!present.has(uid)) this.removePod(p);
        return;
      case 'Service':
        for (const [uid, s] of this.services) if (!present.has(uid)) this.removeService(s);
        return;
      case 'Node':
        for (const [name, n] of this.nodes) if (!present.has(name)) this.removeNode(n);
        return;
      case 'ReplicaSet':
      case 'Job':
        for (const [uid, c] of this.controllers[kind as StepKind])
          if (!present.has(uid)) this.removeController(kind as StepKind, c);
        return;
    }
  }

  /** The pods that exist now (not deleted, not finished). */
  *livePods(): IterableIterator<PodRecord> {
    for (const p of this.pods.values()) if (!p.terminal) yield p;
  }

  /** A pod by namespace and name, including one deleted less than retentionMs ago. */
  pod(namespace: string, name: string): PodRecord | undefined {
    return getNamed(this.podsByName, namespace, name);
  }

  /** The pod that held ip when traffic was seen (seenAt, RFC 3339; now if absent). */
  podAt(ip: string, seenAt?: string): PodRecord | undefined {
    return this.podIPs.at(ip, seenAt);
  }

  /** The services whose virtual IP ip is (usually one). */
  servicesAt(ip: string): readonly ServiceRecord[] | undefined {
    return this.serviceIPs.get(ip);
  }

  nodeAt(ip: string): NodeRecord | undefined {
    return this.nodeIPs.get(ip);
  }

  /** The node whose pod range holds ip: for an address no pod holds, the node itself (pod-ranges.ts). */
  nodeWithPodRange(ip: string): NodeRecord | undefined {
    return this.podRanges.nodeAt(ip);
  }

  controller(kind: StepKind, namespace: string, name: string): ControllerRecord | undefined {
    return getNamed(this.controllersByName[kind], namespace, name);
  }

  /** The pod's top known owner (owner.ts), memoized on the pod. */
  ownerOf(pod: PodRecord): Owner | undefined {
    const memo = pod.ownerMemo;
    if (memo !== undefined && memo.gen === this.ownerGen) return memo.owner;
    const owner = podOwner(pod, this);
    pod.ownerMemo = { gen: this.ownerGen, owner };
    return owner;
  }

  /** The services of the pod's namespace whose selector matches its labels, by name. */
  servicesOf(pod: PodRecord): readonly ServiceRecord[] {
    const memo = pod.servicesMemo;
    const gen = this.serviceGens.get(pod.namespace) ?? 0;
    if (memo !== undefined && memo.gen === gen) return memo.services;
    const services: ServiceRecord[] = [];
    for (const s of this.servicesByNamespace.get(pod.namespace) ?? []) {
      if (s.selector !== undefined && selects(s.selector, pod.labels)) services.push(s);
    }
    services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    pod.servicesMemo = { gen, services };
    return services;
  }

  /** Forgets deleted pods and released IPs older than retentionMs. apply() calls it now and then. */
  prune(): void {
    const horizon = this.now() - this.retentionMs;
    const keep: { pod: PodRecord; at: number }[] = [];
    for (const d of this.deletedPods) {
      if (d.at >= horizon) keep.push(d);
      else deleteNamed(this.podsByName, d.pod.namespace, d.pod.name, d.pod);
    }
    this.deletedPods = keep;
    this.podIPs.prune();
    this.lastPrune = this.now();
  }

  stats(): ClusterStateStats {
    return {
      pods: this.pods.size,
      services: this.services.size,
      nodes: this.nodes.size,
      replicaSets: this.controllers.ReplicaSet.size,
      jobs: this.controllers.Job.size,
      podIPs: this.podIPs.size,
      serviceIPs: this.serviceIPs.size,
      nodeIPs: this.nodeIPs.size,
    };
  }

  /** Prunes at most every tenth of the retention, so the history stays bounded without a timer. */
  private maybePrune(): void {
    if (this.now() - this.lastPrune >= this.retentionMs / 10) this.prune();
  }

  private applyPod(obj: Pod, deleted: boolean): void {
    const next = podRecord(obj);
    const prev = this.pods.get(next.uid);
    if (deleted) {
      if (prev !== undefined) this.removePod(prev);
      return;
    }
    // Memos stay valid while what they depend on is unchanged.
    if (prev !== undefined && prev.controller?.uid === next.controller?.uid)
      next.ownerMemo = prev.ownerMemo;
    if (prev !== undefined && sameLabels(prev.labels, next.labels))
      next.servicesMemo = prev.servicesMemo;
    const before = ownIPs(prev);
    const after = ownIPs(next);
    for (const ip of before) if (!after.includes(ip)) this.podIPs.release(ip, prev as PodRecord);
    for (const ip of after) this.podIPs.claim(ip, next);
    this.pods.set(next.uid, next);
    setNamed(this.podsByName, next.namespace, next.name, next);
    this.maybePrune();
  }

  private removePod(p: PodRecord): void {
    for (const ip of ownIPs(p)) this.podIPs.release(ip, p);
    this.pods.delete(p.uid);
    this.deletedPods.push({ pod: p, at: this.now() });
    this.maybePrune();
  }

  private applyService(obj: Service, deleted: boolean): void {
    const next = serviceRecord(obj);
    const prev = this.services.get(next.uid);
    if (prev !== undefined) this.removeService(prev);
    if (deleted) return;
    this.services.set(next.uid, next);
    let inNamespace = this.servicesByNamespace.get(next.namespace);
    if (inNamespace === undefined) {
      inNamespace = new Set();
      this.servicesByNamespace.set(next.namespace, inNamespace);
    }
    inNamespace.add(next);
    for (const ip of next.ips) {
      const list = this.serviceIPs.get(ip);
      if (list === undefined) this.serviceIPs.set(ip, [next]);
      else list.push(next);
    }
    this.servicesChanged(next.namespace);
  }

  private servicesChanged(namespace: string): void {
    this.serviceGens.set(namespace, (this.serviceGens.get(namespace) ?? 0) + 1);
  }

  private removeService(s: ServiceRecord): void {
    this.services.delete(s.uid);
    const inNamespace = this.servicesByNamespace.get(s.namespace);
    inNamespace?.delete(s);
    if (inNamespace?.size === 0) this.servicesByNamespace.delete(s.namespace);
    for (const ip of s.ips) {
      const rest = this.serviceIPs.get(ip)?.filter((x) => x !== s) ?? [];
      if (rest.length > 0) this.serviceIPs.set(ip, rest);
      else this.serviceIPs.delete(ip);
    }
    this.servicesChanged(s.namespace);
  }

  private applyNode(obj: Node, deleted: boolean): void {
    const next = nodeRecord(obj);
    const prev = this.nodes.get(next.name);
    if (prev !== undefined) this.removeNode(prev);
    if (deleted) return;
    this.nodes.set(next.name, next);
    for (const ip of next.ips) this.nodeIPs.set(ip, next);
    this.podRanges.add(next);
  }

  private removeNode(n: NodeRecord): void {
    this.nodes.delete(n.name);
    for (const ip of n.ips) if (this.nodeIPs.get(ip) === n) this.nodeIPs.delete(ip);
    this.podRanges.remove(n);
  }

  private applyController(kind: StepKind, obj: ReplicaSet | Job, deleted: boolean): void {
    const next = controllerRecord(obj);
    const prev = this.controllers[kind].get(next.uid);
    if (deleted) {
      if (prev !== undefined) this.removeController(kind, prev);
      return;
    }
    this.controllers[kind].set(next.uid, next);
    setNamed(this.controllersByName[kind], next.namespace, next.name, next);
    // Status updates (replica counts) are most of a ReplicaSet's events and change no chain.
    if (prev === undefined || prev.controller?.uid !== next.controller?.uid) this.ownerGen++;
  }

  private removeController(kind: StepKind, c: ControllerRecord): void {
    this.controllers[kind].delete(c.uid);
    deleteNamed(this.controllersByName[kind], c.namespace, c.name, c);
    this.ownerGen++;
  }
}
