// The Kubernetes objects netgraph reads, as lib/kube.ts hands them over: plain JSON,
// the same from a list as from a watch (so times are RFC 3339 strings, not Dates as in
// @kubernetes/client-node's V1* classes). Each type has only the fields netgraph uses.
// A field is optional where the API may omit it; a field of a list item that the API's
// schema requires (an ownerReference's uid, an address's type) is required here too.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** A namespaced object's metadata as the API returns it: the name and namespace are always set. */
export interface NamespacedMeta extends ObjectMeta {
  name: string;
  namespace: string;
}

/** Any object: what the client, the watches and the stores need of every kind. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: { name: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    hostIPs?: { ip: string }[];
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
}

export interface Service extends KubeObject {
  spec?: {
    /** Absent or empty: the Service selects no pods. */
    selector?: Record<string, string>;
    /** 'None' for a headless Service. */
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    ports?: ServicePort[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

export interface Node extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: {
    /** InternalIP, ExternalIP, Hostname, ...: not every address is an IP address. */
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
  };
}

/** netgraph reads only a ReplicaSet's metadata: its owner references, for the owner walk. */
export type ReplicaSet = KubeObject;
/** netgraph reads only a Job's metadata: its owner references, for the owner walk. */
export type Job = KubeObject;

/** A Deployment, StatefulSet or DaemonSet: netgraph reads the pod selector. */
export interface Workload extends KubeObject {
  spec?: { selector?: LabelSelector };
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
