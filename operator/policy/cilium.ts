// The generated advice as CiliumNetworkPolicies (cilium.io/v2, policyKind=cilium), pure.
// Each NetworkPolicy becomes one CiliumNetworkPolicy for the same pods with the same
// peers and ports, and egress to an outside address the pods looked up by name becomes
// toFQDNs for that name: Cilium then allows whatever addresses the name resolves to
// later, which an ipBlock cannot. Cilium learns those addresses only from lookups its
// DNS proxy sees, so a policy with toFQDNs also puts a DNS rule (any name) on the
// egress to port 53 the trace saw, or, when it saw none, on the cluster's kube-dns.
import type { Labels } from '../../api/edge.js';
import type {
  CidrBlock,
  LabelSelector,
  NameRule,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
} from './generate.js';

interface PortProtocol {
  port: string;
  protocol: NetworkPolicyPort['protocol'] | 'ANY';
}

interface PortRule {
  ports: PortProtocol[];
  rules?: { dns: { matchPattern: string }[] };
}

/** One Cilium rule names one kind of peer: Cilium refuses endpoints and CIDRs in one rule. */
export interface CiliumRule {
  toEndpoints?: LabelSelector[];
  fromEndpoints?: LabelSelector[];
  toCIDRSet?: CidrBlock[];
  fromCIDRSet?: CidrBlock[];
  toFQDNs?: { matchName: string }[];
  toPorts?: PortRule[];
}

export interface CiliumNetworkPolicy {
  apiVersion: 'cilium.io/v2';
  kind: 'CiliumNetworkPolicy';
  metadata: NetworkPolicy['metadata'];
  spec: {
    endpointSelector: LabelSelector;
    ingress?: CiliumRule[];
    egress?: CiliumRule[];
  };
}

const DNS_PORT = '53';
const NAMESPACE_NAME = 'kubernetes.io/metadata.name';
/** How Cilium labels an endpoint's namespace, and the labels of that namespace. */
const CILIUM_NAMESPACE = 'k8s:io.kubernetes.pod.namespace';
const CILIUM_NAMESPACE_LABEL = 'k8s:io.cilium.k8s.namespace.labels.';
/** Any name: the rule is there so Cilium's DNS proxy sees the lookups, not to restrict them. */
const OBSERVE_DNS = { dns: [{ matchPattern: '*' }] };
/** Where a cluster's DNS answers when the trace saw no DNS traffic to say otherwise. */
const KUBE_DNS: LabelSelector = {
  matchLabels: { [CILIUM_NAMESPACE]: 'kube-system', 'k8s:k8s-app': 'kube-dns' },
};

/** A NetworkPolicy peer's pods as one Cilium endpoint selector (namespace as Cilium labels it). */
function endpointSelector(peer: NetworkPolicyPeer): LabelSelector {
  const labels: Labels = { ...peer.podSelector?.matchLabels };
  for (const [k, v] of Object.entries(peer.namespaceSelector?.matchLabels ?? {}))
    labels[k === NAMESPACE_NAME ? CILIUM_NAMESPACE : `${CILIUM_NAMESPACE_LABEL}${k}`] = v;
  const expressions = [
    ...(peer.podSelector?.matchExpressions ?? []),
    ...(peer.namespaceSelector?.matchExpressions ?? []).map((e) => ({
      ...e,
      key: `${CILIUM_NAMESPACE_LABEL}${e.key}`,
    })),
  ];
  return {
    ...(Object.keys(labels).length > 0 && { matchLabels: labels }),
    ...(expressions.length > 0 && { matchExpressions: expressions }),
  };
}

const portsOf = (ports: readonly NetworkPolicyPort[]): PortProtocol[] =>
  ports.map((p) => ({ port: String(p.port), protocol: p.protocol }));

/** Ports as Cilium's toPorts; with observeDns, port 53 in a rule of its own that lets the DNS proxy see lookups. */
function toPorts(ports: readonly NetworkPolicyPort[], observeDns: boolean): PortRule[] {
  const all = portsOf(ports);
  if (!observeDns) return [{ ports: all }];
  const dns = all.filter((p) => p.port === DNS_PORT);
  const rest = all.filter((p) => p.port !== DNS_PORT);
  return [
    ...(dns.length > 0 ? [{ ports: dns, rules: OBSERVE_DNS }] : []),
    ...(rest.length > 0 ? [{ ports: rest }] : []),
  ];
}

/** A NetworkPolicy rule as Cilium rules: its endpoints in one, its address blocks in another. */
function rules(r: NetworkPolicyRule, egress: boolean, observeDns: boolean): CiliumRule[] {
  const endpoints = r.peers.filter((p) => !p.ipBlock).map(endpointSelector);
  const blocks = r.peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
  const ports = toPorts(r.ports, observeDns && egress);
  const out: CiliumRule[] = [];
  if (endpoints.length > 0)
    out.push({ [egress ? 'toEndpoints' : 'fromEndpoints']: endpoints, toPorts: ports });
  if (blocks.length > 0)
    out.push({ [egress ? 'toCIDRSet' : 'fromCIDRSet']: blocks, toPorts: ports });
  return out;
}

/** Names with the same ports share a rule. */
function nameRules(named: readonly NameRule[]): CiliumRule[] {
  const byPorts = new Map<string, CiliumRule & { toFQDNs: { matchName: string }[] }>();
  for (const n of named) {
    const ports = toPorts(n.ports, false);
    const k = JSON.stringify(ports);
    const r = byPorts.get(k) ?? { toFQDNs: [], toPorts: ports };
    r.toFQDNs.push({ matchName: n.name });
    byPorts.set(k, r);
  }
  return [...byPorts.values()];
}

const seesDns = (r: CiliumRule) => r.toPorts?.some((p) => p.rules !== undefined) ?? false;

/**
 * The CiliumNetworkPolicies for the generated NetworkPolicies and each one's egress by
 * name, and the warnings to add (a DNS rule assumed). A direction a NetworkPolicy restricts without a rule becomes `[{}]`, Cilium's
 * way to deny it all.
 */
export function toCiliumPolicies(
  networkPolicies: readonly NetworkPolicy[],
  names: ReadonlyMap<NetworkPolicy, readonly NameRule[]>,
): { policies: CiliumNetworkPolicy[]; warnings: string[] } {
  const warnings: string[] = [];
  const policies = networkPolicies.map((np): CiliumNetworkPolicy => {
    const named = names.get(np) ?? [];
    const spec: CiliumNetworkPolicy['spec'] = { endpointSelector: np.spec.podSelector };
    if (np.spec.ingress)
      spec.ingress = np.spec.ingress.flatMap((r) =>
        rules({ peers: r.from, ports: r.ports }, false, false),
      );
    if (np.spec.egress) {
      const egress = np.spec.egress.flatMap((r) =>
        rules({ peers: r.to, ports: r.ports }, true, named.length > 0),
      );
      if (named.length > 0 && !egress.some(seesDns)) {
        egress.push({
          toEndpoints: [KUBE_DNS],
          toPorts: [{ ports: [{ port: DNS_PORT, protocol: 'ANY' }], rules: OBSERVE_DNS }],
        });
        warnings.push(
          `${np.metadata.namespace}/${np.metadata.name}: the trace saw no DNS traffic of its pods; the rule that lets Cilium see their lookups assumes kube-system's kube-dns (k8s-app: kube-dns)`,
        );
      }
      spec.egress = [...egress, ...nameRules(named)];
    }
    for (const dir of ['ingress', 'egress'] as const) {
      const list = spec[dir];
      if (list && list.length === 0) spec[dir] = [{}];
    }
    return {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: np.metadata,
      spec,
    };
  });
  return { policies, warnings };
}
