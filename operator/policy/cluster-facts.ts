// What NetworkPolicy advice needs from the cluster beyond enrichment's state:
// the workloads' own spec.selector (Deployments, StatefulSets, DaemonSets), each
// Service's ports with their names and target ports, and the EndpointSlices that
// say which pod port (or which address, for a Service without a selector such as
// the API server's) a Service port reaches. Fed by the operator's watches (the
// Service events are the enrichment watch's, shared); records keep only those fields.
import type { Informers } from '../../lib/informer.js';
import type { WatchEventType } from '../../lib/kube.js';
import type {
  EndpointSlice,
  LabelSelector as KubeLabelSelector,
  KubeObject,
  Service,
  Workload,
} from '../../lib/kube-objects.js';
import type { ClusterState } from '../enrich/cluster-state.js';
import type {
  ClusterFacts,
  EndpointSliceFacts,
  LabelSelector,
  Owner,
  Protocol,
  ServiceFacts,
} from './generate.js';

/** The collections watched for policy advice (the Service watch is shared with enrichment). */
export const POLICY_WATCHES = {
  Service: '/api/v1/services',
  Deployment: '/apis/apps/v1/deployments',
  StatefulSet: '/apis/apps/v1/statefulsets',
  DaemonSet: '/apis/apps/v1/daemonsets',
  EndpointSlice: '/apis/discovery.k8s.io/v1/endpointslices',
} as const;

export type FactKind = keyof typeof POLICY_WATCHES;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function selectorRecord(s: KubeLabelSelector | undefined): LabelSelector | undefined {
  if (!s) return undefined;
  return {
    ...(s.matchLabels && { matchLabels: { ...s.matchLabels } }),
    ...(s.matchExpressions && {
      matchExpressions: s.matchExpressions.map((e) => ({
        key: e.key,
        operator: e.operator,
        ...(e.values && { values: [...e.values] }),
      })),
    }),
  };
}

function serviceFacts(svc: Service): ServiceFacts {
  const selector = svc.spec?.selector;
  return {
    ...(selector && Object.keys(selector).length > 0 && { selector: { ...selector } }),
    ports: (svc.spec?.ports ?? []).map((p) => ({
      ...(p.name && { name: p.name }),
      port: p.port,
      protocol: (p.protocol ?? 'TCP') as Protocol,
      ...(p.targetPort !== undefined && { targetPort: p.targetPort }),
    })),
  };
}

function sliceFacts(s: EndpointSlice): EndpointSliceFacts {
  return {
    addressType: s.addressType,
    // Endpoints that are not ready receive no traffic through the Service.
    addresses: (s.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .flatMap((e) => e.addresses),
    ports: (s.ports ?? []).map((p) => ({
      ...(p.name && { name: p.name }),
      ...(p.port !== undefined && { port: p.port }),
      ...(p.protocol && { protocol: p.protocol }),
    })),
  };
}

const nsName = (m: { namespace?: string; name?: string } | undefined) =>
  `${m?.namespace ?? ''}/${m?.name ?? ''}`;

export class PolicyFacts implements ClusterFacts {
  private readonly selectors = new Map<string, LabelSelector>(); // Kind/ns/name
  private readonly services = new Map<string, ServiceFacts>(); // ns/name
  /** ns/service -> slice name -> facts. */
  private readonly slices = new Map<string, Map<string, EndpointSliceFacts>>();

  constructor(private readonly state: Pick<ClusterState, 'pod' | 'ownerOf' | 'nodeWithPodRange'>) {}

  /** The rule enrichment names such an edge's node by (operator/enrich/pod-ranges.ts). */
  nodeWithPodRange(ip: string): string | undefined {
    return this.state.nodeWithPodRange(ip)?.name;
  }

  podOwner(namespace: string, name: string): Owner | undefined {
    const pod = this.state.pod(namespace, name);
    return pod && this.state.ownerOf(pod);
  }

  selectorOf(kind: string, namespace: string, name: string): LabelSelector | undefined {
    return this.selectors.get(`${kind}/${namespace}/${name}`);
  }

  service(namespace: string, name: string): ServiceFacts | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  endpointSlices(namespace: string, service: string): readonly EndpointSliceFacts[] {
    return [...(this.slices.get(`${namespace}/${service}`)?.values() ?? [])];
  }

  apply(kind: FactKind, type: WatchEventType, obj: KubeObject): void {
    const deleted = type === 'DELETED';
    const key = nsName(obj.metadata);
    switch (kind) {
      case 'Service':
        if (deleted) this.services.delete(key);
        else this.services.set(key, serviceFacts(obj as Service));
        return;
      case 'EndpointSlice': {
        const s = obj as EndpointSlice;
        const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
        if (!svc) return;
        const k = `${s.metadata?.namespace ?? ''}/${svc}`;
        const name = s.metadata?.name ?? '';
        const bySvc = this.slices.get(k) ?? new Map<string, EndpointSliceFacts>();
        if (deleted) bySvc.delete(name);
        else bySvc.set(name, sliceFacts(s));
        if (bySvc.size > 0) this.slices.set(k, bySvc);
        else this.slices.delete(k);
        return;
      }
      default: {
        const sel = selectorRecord((obj as Workload).spec?.selector);
        if (deleted || !sel) this.selectors.delete(`${kind}/${key}`);
        else this.selectors.set(`${kind}/${key}`, sel);
      }
    }
  }

  /** A relist of kind: everything of that kind is replaced. */
  reset(kind: FactKind, objs: readonly KubeObject[]): void {
    if (kind === 'Service') this.services.clear();
    else if (kind === 'EndpointSlice') this.slices.clear();
    else
      for (const k of this.selectors.keys()) if (k.startsWith(`${kind}/`)) this.selectors.delete(k);
    for (const o of objs) this.apply(kind, 'ADDED', o);
  }

  /** Subscribes to every collection the facts come from; resolves once all have synced. */
  subscribe(informers: Informers): Promise<void> {
    const subs = Object.entries(POLICY_WATCHES).map(([kind, path]) =>
      informers.subscribe(path, {
        onReset: (items) => this.reset(kind as FactKind, items),
        onEvent: (type, obj) => this.apply(kind as FactKind, type, obj),
      }),
    );
    return Promise.all(subs.map((s) => s.synced)).then(() => {});
  }
}
