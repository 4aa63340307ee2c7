// Fills a raw edge from an agent with what the cluster knows (docs/architecture.md,
// "Where enrichment runs"): the local pod's IP, host IP, labels and owner, and what is on the other
// end. The remote IP is tried as a service's virtual IP first (what a client
// pod's socket sees before kube-proxy translates it), then as a pod IP held at
// the edge's firstSeen, and is otherwise `other`: named node/<name> when it is a
// node address or, no pod holding it, inside a node's pod range (the CNI's gateway,
// where the kubelet probes from: pod-ranges.ts), else by the name the pod asked DNS
// for (its agent learned it from the answer), else by reverse DNS when a name is
// already cached; remoteNameSource says which. Edges arrive by the hundred thousand
// per second, so this is a few map lookups, no I/O, and no allocation beyond the
// fields it sets (and the pod-range key of an `other` address).
import type { Edge, RemoteKind, RemoteNameSource } from '../../api/edge.js';
import { canonicalIP, isV6 } from '../../lib/ip.js';
import type { ClusterState } from './cluster-state.js';
import type { PodRecord, ServiceRecord } from './records.js';

/** A cache of reverse-DNS names that never blocks (ReverseDns in reverse-dns.ts). */
export interface ReverseNames {
  lookup(ip: string): string | undefined;
}

/** The address of the wanted family, else the primary one. */
function ofFamily(ips: readonly string[], v6: boolean): string | undefined {
  for (const ip of ips) if (isV6(ip) === v6) return ip;
  return ips[0];
}

/** Services sharing a load-balancer or external IP are told apart by the port the edge used. */
function byPort(services: readonly ServiceRecord[], port: number | undefined): ServiceRecord {
  const first = services[0] as ServiceRecord;
  if (services.length === 1 || port === undefined) return first;
  return services.find((s) => s.ports.includes(port)) ?? first;
}

export class Enricher {
  constructor(
    private readonly state: ClusterState,
    /** Undefined: no reverse DNS (the default, and what tests use). */
    private readonly reverseDns?: ReverseNames,
  ) {}

  /**
   * Enriches raw in place and returns it. Every field it owns is set, to undefined when it does
   * not apply, so enriching an edge again after the cluster changed leaves nothing stale.
   * An IPv6 `ip` is rewritten in canonical form (ip.ts), so keys match however the agent wrote it.
   */
  enrich(raw: Edge): Edge {
    if (raw.type !== 'normal') return raw;
    const ip = raw.ip ? canonicalIP(raw.ip) : undefined;
    raw.ip = ip;
    const v6 = ip !== undefined && isV6(ip);

    const pod = raw.namespace && raw.pod ? this.state.pod(raw.namespace, raw.pod) : undefined;
    const owner = pod && this.state.ownerOf(pod);
    raw.podHostIP = pod && ofFamily(pod.hostIPs, v6);
    raw.podIP = pod && ofFamily(pod.ips, v6);
    raw.podOwner = owner?.name;
    raw.podLabels = pod?.labels;
    raw.podOwnerKind = owner?.kind;

    let kind: RemoteKind | undefined;
    let svc: ServiceRecord | undefined;
    let remotePod: PodRecord | undefined;
    // The agent's name from the pod's own DNS answer; everything else is decided here.
    const asked = raw.remoteNameSource === 'dns' ? raw.remoteName : undefined;
    let name = asked;
    let source: RemoteNameSource | undefined = asked === undefined ? undefined : 'dns';
    if (ip !== undefined) {
      const services = this.state.servicesAt(ip);
      if (services !== undefined) {
        kind = 'svc';
        svc = byPort(services, raw.port);
      } else {
        remotePod = this.state.podAt(ip, raw.firstSeen);
        if (remotePod !== undefined) kind = 'pod';
        else {
          kind = 'other';
          const node = (this.state.nodeAt(ip) ?? this.state.nodeWithPodRange(ip))?.ref;
          if (node !== undefined) {
            name = node;
            source = 'node';
          } else if (asked === undefined) {
            // Reverse DNS only where the pod's own lookup left no name.
            name = this.reverseDns?.lookup(ip);
            source = name === undefined ? undefined : 'ptr';
          }
        }
      }
    }
    raw.remoteKind = kind;
    raw.remoteServiceNamespace = svc?.namespace;
    raw.remoteServiceName = svc?.name;
    raw.remoteServiceLabelSelector = svc?.selector;
    raw.remotePodNamespace = remotePod?.namespace;
    raw.remotePodName = remotePod?.name;
    raw.remotePodLabels = remotePod?.labels;
    raw.remoteOther = kind === 'other' ? ip : undefined;
    raw.remoteName = name;
    raw.remoteNameSource = source;
    if (source !== 'dns') raw.remoteCanonicalName = undefined;
    return raw;
  }
}
