// operator/policy: NetworkPolicy advice from what a trace saw (the Trace operation
// `generate`). This file is the pure part: a trace's unique edges plus what the
// cluster says about workloads, Services and their endpoints -> NetworkPolicy
// objects, in a stable order so two runs over the same traffic give the same YAML.
//
// Where Inspektor Gadget's advisor went wrong, and what is done here instead:
// - subjects are selected by the owning workload's own spec.selector, a bare pod by
//   its labels minus per-pod ones; never `podSelector: {}` unless asked;
// - a Service peer allows the pod port after translation (the EndpointSlices' port),
//   not the Service's port; a Service without a selector (the API server) becomes its
//   endpoint addresses;
// - DNS is allowed on UDP and TCP 53; node addresses are flagged, not allowed;
// - an edge of an unknown kind is a warning, never a crash.
import { isIP } from 'node:net';
import type { Edge, Labels } from '../../api/edge.js';
import type { PolicyParameters, PolicyType } from '../../api/policy-parameters.js';
import { prefixOf } from '../../lib/cidr.js';
import { runToEnd, type Steps } from '../../lib/time-slices.js';
import { type CiliumNetworkPolicy, toCiliumPolicies } from './cilium.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePortFacts {
  name?: string;
  port: number;
  protocol: Protocol;
  /** Absent: the same as port. */
  targetPort?: number | string;
}

export interface ServiceFacts {
  /** Undefined or empty: the Service selects no pods (its endpoints are managed by hand, or the API server). */
  selector?: Labels;
  ports: readonly ServicePortFacts[];
}

export interface EndpointSliceFacts {
  addressType: string;
  /** Addresses of the endpoints. */
  addresses: readonly string[];
  ports: readonly { name?: string; port?: number; protocol?: string }[];
}

export interface Owner {
  kind: string;
  name: string;
}

/** What the generator asks of the cluster (the operator's watches; a plain object in tests). */
export interface ClusterFacts {
  /** The top owner of a pod, if the pod is known. */
  podOwner(namespace: string, name: string): Owner | undefined;
  /** spec.selector of a Deployment, StatefulSet or DaemonSet. */
  selectorOf(kind: string, namespace: string, name: string): LabelSelector | undefined;
  service(namespace: string, name: string): ServiceFacts | undefined;
  endpointSlices(namespace: string, service: string): readonly EndpointSliceFacts[];
  /** The node whose pod range (spec.podCIDRs) holds ip. */
  nodeWithPodRange(ip: string): string | undefined;
}

export interface CidrBlock {
  cidr: string;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: CidrBlock;
}

export interface NetworkPolicyPort {
  protocol: Protocol;
  port: number | string;
}

export interface NetworkPolicyRule {
  peers: NetworkPolicyPeer[];
  ports: NetworkPolicyPort[];
}

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: {
    name: string;
    namespace: string;
    labels: Labels;
    annotations: Record<string, string>;
  };
  spec: {
    podSelector: LabelSelector;
    policyTypes: PolicyType[];
    ingress?: { from: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
    egress?: { to: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
  };
}

/** With policyKind cilium: egress to a name the pods looked up (Cilium's toFQDNs), and its ports. */
export interface NameRule {
  name: string;
  ports: NetworkPolicyPort[];
}

/** What `generate` writes, as parameter policyKind asks. */
export type AdvisedPolicy = NetworkPolicy | CiliumNetworkPolicy;

export interface Generated {
  policies: AdvisedPolicy[];
  warnings: string[];
  /** The names the traced pods asked DNS for the addresses of an outside block: YAML comments. */
  peerNames: Map<CidrBlock, string[]>;
}

/** The label every generated policy carries, so they can be listed and pruned. */
export const GENERATED_LABEL = 'app.kubernetes.io/managed-by';
export const GENERATED_VALUE = 'netgraph';
export const TRACE_ANNOTATION = 'netgraph.dev/trace';
export const SUBJECT_ANNOTATION = 'netgraph.dev/subject';

/**
 * Labels that differ between pods of one workload (or between runs of a Job), so they
 * can never select a workload's pods: the ones controllers add to each pod or revision.
 */
export const PER_POD_LABELS: readonly string[] = [
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/job-completion-index',
];

/** Owners whose spec.selector is read from the cluster. */
const SELECTOR_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';
const DNS_PORT = 53;
/** The names Cilium's toFQDNs matchName takes (its CRD's pattern and length). */
const FQDN = /^(?=.{1,255}$)[-a-zA-Z0-9_]+(\.[-a-zA-Z0-9_]+)*\.?$/;

/** Sorted-key JSON: the identity and the order of selectors and peers. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortedLabels(l: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(l).sort()) out[k] = l[k] as string;
  return out;
}

function stableLabels(labels: Labels | undefined): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels ?? {}).sort())
    if (!PER_POD_LABELS.includes(k)) out[k] = (labels as Labels)[k] as string;
  return out;
}

function sortedSelector(s: LabelSelector): LabelSelector {
  const out: LabelSelector = {};
  if (s.matchLabels && Object.keys(s.matchLabels).length > 0)
    out.matchLabels = sortedLabels(s.matchLabels);
  if (s.matchExpressions && s.matchExpressions.length > 0)
    out.matchExpressions = s.matchExpressions
      .map((e) => ({
        key: e.key,
        operator: e.operator,
        ...(e.values && { values: [...e.values].sort(byText) }),
      }))
      .sort((a, b) => byText(canonical(a), canonical(b)));
  return out;
}

const isEmptySelector = (s: LabelSelector) =>
  Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

type Selected = { selector: LabelSelector; note?: string } | { error: string };

/**
 * How the pods of a workload are selected: the owner's own spec.selector where it has
 * one, else the pod's labels minus per-pod ones (a Job without labels of its own: its
 * job-name label, the same for every run of that Job).
 */
function selectPods(
  facts: ClusterFacts,
  namespace: string,
  pod: string,
  labels: Labels | undefined,
  owner: Owner | undefined,
  allowEmpty: boolean,
): Selected {
  if (owner && SELECTOR_KINDS.has(owner.kind)) {
    const s = facts.selectorOf(owner.kind, namespace, owner.name);
    if (s && !isEmptySelector(s)) return { selector: sortedSelector(s) };
  }
  const stable = stableLabels(labels);
  if (Object.keys(stable).length > 0) {
    const note =
      owner && SELECTOR_KINDS.has(owner.kind)
        ? `the selector of ${owner.kind} ${namespace}/${owner.name} is not known (deleted?): its pods are selected by the labels of pod ${pod}`
        : undefined;
    return { selector: { matchLabels: stable }, ...(note && { note }) };
  }
  if (owner?.kind === 'Job') {
    for (const k of ['batch.kubernetes.io/job-name', 'job-name']) {
      const v = labels?.[k];
      if (v) return { selector: { matchLabels: { [k]: v } } };
    }
  }
  if (owner === undefined && allowEmpty) return { selector: {} };
  return {
    error: `pod ${namespace}/${pod}${owner ? ` (${owner.kind} ${owner.name})` : ''} has no labels that select it and not every pod of its namespace`,
  };
}

/** The workload a policy is for: one per owner (or bare pod) and namespace. */
interface Subject {
  namespace: string;
  kind: string;
  name: string;
  selector: LabelSelector;
  rules: Record<
    PolicyType,
    Map<string, { peer: NetworkPolicyPeer; ports: Map<string, NetworkPolicyPort> }>
  >;
  /** External addresses by direction, aggregated at the end. */
  external: Record<PolicyType, Map<string, Map<string, NetworkPolicyPort>>>;
  /** The names the pods asked DNS for external addresses, by direction and address. */
  externalNames: Record<PolicyType, Map<string, Set<string>>>;
  /** policyKind cilium: egress to outside names, instead of their addresses. */
  names: Map<string, Map<string, NetworkPolicyPort>>;
}

const portKey = (p: NetworkPolicyPort) =>
  `${p.protocol}/${typeof p.port === 'number' ? String(p.port).padStart(5, '0') : p.port}`;

function hostCidr(ip: string): string {
  return `${ip}/${isIP(ip) === 6 ? 128 : 32}`;
}

const protocolOf = (e: Edge): Protocol | undefined =>
  e.proto === 'tcp' ? 'TCP' : e.proto === 'udp' ? 'UDP' : undefined;

/** Bounded lists in warnings: the first few examples and how many more. */
function listed(items: readonly string[], max = 5): string {
  const head = items.slice(0, max).join(', ');
  return items.length > max ? `${head} and ${items.length - max} more` : head;
}

/**
 * NetworkPolicies that allow exactly what `edges` show, for the workloads of the traced
 * pods, and the warnings a user must read (what was left out, and why). Pure.
 */
export function generatePolicies(
  edges: Iterable<Edge>,
  facts: ClusterFacts,
  params: PolicyParameters,
  trace: string,
): Generated {
  return runToEnd(generateSteps(edges, facts, params, trace));
}

/**
 * generatePolicies as work that pauses before each edge and each policy (lib/time-slices):
 * the operator runs it in slices, since 20,000 edges take hundreds of milliseconds. Facts
 * are read as the cluster is when each edge is reached.
 */
export function* generateSteps(
  edges: Iterable<Edge>,
  facts: ClusterFacts,
  params: PolicyParameters,
  trace: string,
): Steps<Generated> {
  const subjects = new Map<string, Subject>();
  const warnings = new Set<string>();
  const incomplete: string[] = [];
  const nodeTraffic: string[] = [];

  for (const e of edges) {
    yield;
    if (e.type !== 'normal') continue;
    const proto = protocolOf(e);
    const direction: PolicyType | undefined =
      e.pktType === 'OUTGOING' ? 'Egress' : e.pktType === 'HOST' ? 'Ingress' : undefined;
    const kinds = ['pod', 'svc', 'other'];
    if (
      !e.namespace ||
      !e.pod ||
      !e.ip ||
      !e.port ||
      !proto ||
      !direction ||
      !kinds.includes(e.remoteKind ?? '') ||
      // A connection accepted from a Service's virtual address: nothing to select.
      (e.remoteKind === 'svc' && direction === 'Ingress')
    ) {
      incomplete.push(
        `${e.namespace ?? '?'}/${e.pod ?? '?'} ${e.pktType ?? '?'} ${e.proto ?? '?'} ${e.ip ?? '?'}:${e.port ?? '?'} (remoteKind ${JSON.stringify(e.remoteKind ?? '')})`,
      );
      continue;
    }
    if (!params.policyTypes.includes(direction)) continue;
    const owner =
      e.podOwner && e.podOwnerKind ? { kind: e.podOwnerKind, name: e.podOwner } : undefined;
    const subject = subjectFor(subjects, facts, params, e.namespace, e.pod, e.podLabels, owner);
    if ('error' in subject) {
      const hint = owner
        ? ''
        : ' (parameter allowEmptyPodSelector=true selects the whole namespace)';
      warnings.add(`no policy: ${subject.error}${hint}`);
      continue;
    }
    if (subject.note) warnings.add(subject.note);
    const s = subject.subject;
    const what = `${e.namespace}/${e.pod} ${direction === 'Egress' ? 'to' : 'from'} ${e.ip}:${e.port}/${proto}`;
    const allow = (peer: NetworkPolicyPeer, ports: readonly NetworkPolicyPort[]) => {
      const rules = s.rules[direction];
      const k = canonical(peer);
      let r = rules.get(k);
      if (!r) {
        r = { peer, ports: new Map() };
        rules.set(k, r);
      }
      for (const p of ports) r.ports.set(portKey(p), p);
    };
    const port: NetworkPolicyPort = { protocol: proto, port: e.port };

    if (e.remoteKind === 'pod') {
      const ns = e.remotePodNamespace ?? e.namespace;
      const name = e.remotePodName ?? '';
      const sel = selectPods(facts, ns, name, e.remotePodLabels, facts.podOwner(ns, name), false);
      if ('error' in sel) {
        warnings.add(`${sel.error}: allowed by its address ${e.ip} for ${what}`);
        allow({ ipBlock: { cidr: hostCidr(e.ip) } }, [port]);
      } else allow(podPeer(sel.selector, ns, e.namespace), [port]);
    } else if (e.remoteKind === 'svc') {
      const ns = e.remoteServiceNamespace ?? '';
      const name = e.remoteServiceName ?? '';
      const target = serviceTarget(facts, params, ns, name, e.port, proto);
      if ('error' in target) {
        warnings.add(`${what}: ${target.error}`);
        continue;
      }
      // DNS falls back to TCP when an answer does not fit in UDP.
      const ports =
        e.port === DNS_PORT
          ? target.ports.flatMap((p) => [
              { protocol: 'UDP' as const, port: p.port },
              { protocol: 'TCP' as const, port: p.port },
            ])
          : target.ports;
      if (target.selector) allow(podPeer({ matchLabels: target.selector }, ns, e.namespace), ports);
      for (const [cidr, p] of target.blocks) allow({ ipBlock: { cidr } }, p);
      for (const w of target.warnings) warnings.add(w);
    } else if (e.remoteName?.startsWith('node/')) {
      nodeTraffic.push(`${what} (${e.remoteName})`);
    } else if (facts.nodeWithPodRange(e.ip)) {
      // No pod had it, yet it is in a node's pod range: the node's own address there
      // (ptp's and bridge's gateway, where the kubelet's probes come from), not a /32
      // to allow as if it were outside the cluster. Enrichment names such an edge
      // node/<name> (above) unless the Node was not known yet when it was seen.
      nodeTraffic.push(`${what} (node/${facts.nodeWithPodRange(e.ip)}, in its pod range)`);
    } else {
      const asked = e.remoteNameSource === 'dns' ? e.remoteName : undefined;
      // Cilium allows egress by the name itself (ingress has no such rule), if its schema takes the name.
      const byName =
        asked !== undefined &&
        params.policyKind === 'cilium' &&
        direction === 'Egress' &&
        FQDN.test(asked);
      const into = byName ? s.names : s.external[direction];
      const k = byName ? asked : e.ip;
      let ports = into.get(k);
      if (!ports) {
        ports = new Map();
        into.set(k, ports);
      }
      ports.set(portKey(port), port);
      if (asked !== undefined && !byName) {
        const names = s.externalNames[direction].get(e.ip) ?? new Set<string>();
        s.externalNames[direction].set(e.ip, names.add(asked));
      }
    }
  }

  if (incomplete.length > 0)
    warnings.add(
      `${incomplete.length} edge(s) of an unknown or incomplete kind left out: ${listed(incomplete.sort(byText), 3)}`,
    );
  if (nodeTraffic.length > 0)
    warnings.add(
      `traffic with node addresses (the kubelet, host-network pods) is not allowed by these policies; add it by hand if it is wanted: ${listed(nodeTraffic.sort(byText))}`,
    );

  const peerNames = new Map<CidrBlock, string[]>();
  const nameRules = new Map<NetworkPolicy, NameRule[]>();
  const policies = yield* toPolicies([...subjects.values()], params, trace, peerNames, nameRules);
  if (params.policyKind !== 'cilium')
    return { policies, warnings: [...warnings].sort(byText), peerNames };
  const cilium = toCiliumPolicies(policies, nameRules);
  for (const w of cilium.warnings) warnings.add(w);
  return { policies: cilium.policies, warnings: [...warnings].sort(byText), peerNames };
}

function subjectFor(
  subjects: Map<string, Subject>,
  facts: ClusterFacts,
  params: PolicyParameters,
  namespace: string,
  pod: string,
  labels: Labels | undefined,
  owner: Owner | undefined,
): { subject: Subject; note?: string } | { error: string } {
  const kind = owner?.kind ?? 'Pod';
  const name = owner?.name ?? pod;
  const key = `${namespace}/${kind}/${name}`;
  const known = subjects.get(key);
  if (known) return { subject: known };
  const sel = selectPods(facts, namespace, pod, labels, owner, params.allowEmptyPodSelector);
  if ('error' in sel) return sel;
  const subject: Subject = {
    namespace,
    kind,
    name,
    selector: sel.selector,
    rules: { Ingress: new Map(), Egress: new Map() },
    external: { Ingress: new Map(), Egress: new Map() },
    externalNames: { Ingress: new Map(), Egress: new Map() },
    names: new Map(),
  };
  subjects.set(key, subject);
  return { subject, ...(sel.note && { note: sel.note }) };
}

function podPeer(selector: LabelSelector, peerNs: string, ownNs: string): NetworkPolicyPeer {
  return peerNs === ownNs
    ? { podSelector: selector }
    : { podSelector: selector, namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: peerNs } } };
}

type Target =
  | {
      selector?: Labels;
      ports: NetworkPolicyPort[];
      /** Endpoint addresses of a Service without a selector, each with its ports. */
      blocks: [string, NetworkPolicyPort[]][];
      warnings: string[];
    }
  | { error: string };

/**
 * What a connection to a Service's port reaches after kube-proxy: the pods its selector
 * picks on the target port (the number the EndpointSlices give, which NetworkPolicy
 * matches), or, without a selector, its endpoint addresses and their ports.
 */
function serviceTarget(
  facts: ClusterFacts,
  params: PolicyParameters,
  namespace: string,
  name: string,
  port: number,
  protocol: Protocol,
): Target {
  const svc = facts.service(namespace, name);
  if (!svc) return { error: `Service ${namespace}/${name} is not known (deleted?): left out` };
  const sp = svc.ports.find((p) => p.port === port && p.protocol === protocol);
  if (!sp)
    return {
      error: `Service ${namespace}/${name} has no port ${port}/${protocol} now: left out`,
    };
  const slices = facts.endpointSlices(namespace, name);
  const slicePorts = (sl: EndpointSliceFacts) =>
    sl.ports.filter(
      (p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === protocol && p.port,
    );
  const warnings: string[] = [];
  if (svc.selector && Object.keys(svc.selector).length > 0) {
    const numbers = new Set<number>();
    for (const sl of slices) for (const p of slicePorts(sl)) numbers.add(p.port as number);
    let ports: NetworkPolicyPort[];
    if (params.namedPorts && typeof sp.targetPort === 'string')
      ports = [{ protocol, port: sp.targetPort }];
    else if (numbers.size > 0)
      ports = [...numbers].sort((a, b) => a - b).map((n) => ({ protocol, port: n }));
    else if (typeof sp.targetPort === 'string') {
      ports = [{ protocol, port: sp.targetPort }];
      warnings.push(
        `Service ${namespace}/${name} has no endpoints for its named target port ${JSON.stringify(sp.targetPort)}: the rule names the port`,
      );
    } else ports = [{ protocol, port: sp.targetPort ?? sp.port }];
    return { selector: sortedLabels(svc.selector), ports, blocks: [], warnings };
  }
  const blocks = new Map<string, Map<string, NetworkPolicyPort>>();
  for (const sl of slices) {
    if (sl.addressType !== 'IPv4' && sl.addressType !== 'IPv6') continue;
    const ports = slicePorts(sl).map((p) => ({ protocol, port: p.port as number }));
    for (const a of sl.addresses) {
      const cidr = hostCidr(a);
      const m = blocks.get(cidr) ?? new Map<string, NetworkPolicyPort>();
      for (const p of ports) m.set(portKey(p), p);
      blocks.set(cidr, m);
    }
  }
  if (blocks.size === 0)
    return { error: `Service ${namespace}/${name} has no selector and no endpoints: left out` };
  return {
    ports: [],
    blocks: [...blocks].map(([cidr, m]) => [cidr, [...m.values()]]),
    warnings,
  };
}

/** One rule per set of ports, its peers in canonical order; rules ordered by their first peer. */
function toRules(
  peers: Map<string, { peer: NetworkPolicyPeer; ports: Map<string, NetworkPolicyPort> }>,
): NetworkPolicyRule[] {
  const byPorts = new Map<string, NetworkPolicyRule & { keys: string[] }>();
  for (const [k, { peer, ports }] of peers) {
    const sorted = [...ports.entries()].sort(([a], [b]) => byText(a, b));
    const sig = sorted.map(([pk]) => pk).join(',');
    let r = byPorts.get(sig);
    if (!r) {
      r = { peers: [], ports: sorted.map(([, p]) => p), keys: [] };
      byPorts.set(sig, r);
    }
    r.peers.push(peer);
    r.keys.push(k);
  }
  const rules = [...byPorts.values()];
  for (const r of rules) {
    const order = r.keys.map((k, i) => [k, r.peers[i] as NetworkPolicyPeer] as const);
    order.sort(([a], [b]) => byText(a, b));
    r.keys = order.map(([k]) => k);
    r.peers = order.map(([, p]) => p);
  }
  rules.sort((a, b) => byText(a.keys[0] ?? '', b.keys[0] ?? ''));
  return rules.map(({ peers: p, ports }) => ({ peers: p, ports }));
}

/**
 * External addresses as /32 (/128), or aggregated per prefix past the threshold; each
 * peer's addresses' DNS names go to peerNames.
 */
function externalPeers(
  external: Map<string, Map<string, NetworkPolicyPort>>,
  externalNames: Map<string, Set<string>>,
  params: PolicyParameters,
  into: Map<string, { peer: NetworkPolicyPeer; ports: Map<string, NetworkPolicyPort> }>,
  peerNames: Map<CidrBlock, string[]>,
): void {
  const v6 = [...external.keys()].filter((ip) => isIP(ip) === 6).length;
  const v4 = external.size - v6;
  for (const [ip, ports] of external) {
    const six = isIP(ip) === 6;
    const aggregate = (six ? v6 : v4) > params.aggregateThreshold;
    const cidr = aggregate
      ? prefixOf(ip, params.aggregatePrefix, params.aggregatePrefix6)
      : hostCidr(ip);
    const peer = { ipBlock: { cidr } };
    const k = canonical(peer);
    const r = into.get(k) ?? { peer, ports: new Map<string, NetworkPolicyPort>() };
    for (const [pk, p] of ports) r.ports.set(pk, p);
    into.set(k, r);
    const names = externalNames.get(ip);
    const block = r.peer.ipBlock;
    if (names && block) {
      const all = new Set([...(peerNames.get(block) ?? []), ...names]);
      peerNames.set(block, [...all].sort(byText));
    }
  }
}

function* toPolicies(
  subjects: Subject[],
  params: PolicyParameters,
  trace: string,
  peerNames: Map<CidrBlock, string[]>,
  nameRules: Map<NetworkPolicy, NameRule[]>,
): Steps<NetworkPolicy[]> {
  subjects.sort((a, b) =>
    byText(`${a.namespace}/${a.name}/${a.kind}`, `${b.namespace}/${b.name}/${b.kind}`),
  );
  const taken = new Set<string>();
  const policies: NetworkPolicy[] = [];
  for (const s of subjects) {
    yield;
    // The first subject of a name gets <name>-netgraph; another kind of the same name its kind too.
    let name = `${s.name}-netgraph`;
    if (taken.has(`${s.namespace}/${name}`)) name = `${s.name}-${s.kind.toLowerCase()}-netgraph`;
    for (let i = 2; taken.has(`${s.namespace}/${name}`); i++)
      name = `${s.name}-${s.kind.toLowerCase()}-${i}-netgraph`;
    taken.add(`${s.namespace}/${name}`);
    const spec: NetworkPolicy['spec'] = {
      podSelector: s.selector,
      policyTypes: [...params.policyTypes],
    };
    for (const dir of params.policyTypes) {
      externalPeers(s.external[dir], s.externalNames[dir], params, s.rules[dir], peerNames);
      const rules = toRules(s.rules[dir]);
      if (dir === 'Ingress') spec.ingress = rules.map((r) => ({ from: r.peers, ports: r.ports }));
      else spec.egress = rules.map((r) => ({ to: r.peers, ports: r.ports }));
    }
    const policy: NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name,
        namespace: s.namespace,
        labels: { [GENERATED_LABEL]: GENERATED_VALUE },
        annotations: { [TRACE_ANNOTATION]: trace, [SUBJECT_ANNOTATION]: `${s.kind}/${s.name}` },
      },
      spec,
    };
    policies.push(policy);
    if (s.names.size > 0)
      nameRules.set(
        policy,
        [...s.names]
          .sort(([a], [b]) => byText(a, b))
          .map(([n, ports]) => ({
            name: n,
            ports: [...ports].sort(([a], [b]) => byText(a, b)).map(([, p]) => p),
          })),
      );
  }
  policies.sort((a, b) =>
    byText(
      `${a.metadata.namespace}/${a.metadata.name}`,
      `${b.metadata.namespace}/${b.metadata.name}`,
    ),
  );
  return policies;
}
