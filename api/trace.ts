// The Trace custom resource (gadget.kinvolk.io/v1alpha1), compatible with
// Inspektor Gadget's (the README's "The Trace contract"; its lifecycle in
// docs/architecture.md).
import type { NamespacedMeta } from '../lib/kube-objects.js';
import type { MetricsLabelOption } from './metrics.js';

export const GROUP = 'gadget.kinvolk.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'traces';
export const KIND = 'Trace';
export const OPERATION_ANNOTATION = 'gadget.kinvolk.io/operation';
export const FINALIZER = 'gadget.kinvolk.io/finalizer';
/** The Traces of every namespace, for list and watch. */
export const TRACES_PATH = `/apis/${GROUP}/${VERSION}/${PLURAL}`;
/** One Trace object in the API (add `/status` for its status). */
export const traceObjectPath = (namespace: string, name: string): string =>
  `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`;
export const GADGET = 'network-graph';
/** Names as the API server allows them: a namespace's (DNS label) and a Trace's (DNS subdomain). */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
export const DNS_SUBDOMAIN =
  '^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export const RUN_MODES = ['Manual', 'Auto'] as const;
export const OUTPUT_MODES = ['Stream', 'Status', 'File', 'ExternalResource'] as const;
const STATES = ['Started', 'Stopped', 'Completed'] as const;
export const OPERATIONS = ['start', 'stop', 'generate'] as const;
export const GROUP_BY = ['pod', 'service', 'namespace', 'owner', 'node'] as const;
/** How the data plane attaches to a pod: a socket filter inside it, or TCX on its host-side veth. */
export const ATTACH_MODES = ['socket', 'tcx'] as const;

export type RunMode = (typeof RUN_MODES)[number];
export type OutputMode = (typeof OUTPUT_MODES)[number];
export type TraceState = (typeof STATES)[number];
export type Operation = (typeof OPERATIONS)[number];
export const isOperation = (s: string | undefined): s is Operation =>
  (OPERATIONS as readonly (string | undefined)[]).includes(s);
export type GroupBy = (typeof GROUP_BY)[number];
export type AttachMode = (typeof ATTACH_MODES)[number];

export interface TraceFilter {
  /** One namespace or a comma-separated list. */
  namespace?: string;
  podname?: string;
  labels?: Record<string, string>;
  containerName?: string;
}

export interface TraceSpec {
  /** Empty: every Ready node. */
  node?: string;
  gadget?: string;
  filter?: TraceFilter;
  runMode?: RunMode;
  outputMode?: OutputMode;
  output?: string;
  parameters?: Record<string, string>;
}

/** What one node's agent is doing for a trace. */
export interface NodeStatus {
  state: 'Started' | 'Stopped' | 'Failed' | 'AgentMissing';
  reason?: string;
  pods?: number;
  /** Where the node's edge stream was read up to: a replica taking the node over resumes there. */
  cursor?: { epoch: string; after: number };
}

/** Ready and Degraded, as metav1.Condition is shaped (the CRD documents their reasons). */
export interface TraceCondition {
  type: 'Ready' | 'Degraded';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface TraceStatus {
  state?: TraceState;
  conditions?: TraceCondition[];
  output?: string;
  operationError?: string;
  operationWarning?: string;
  // netgraph's additions
  edges?: number;
  /** NetworkPolicies the last `generate` wrote. */
  policies?: number;
  startedAt?: string;
  stoppedAt?: string;
  nodes?: Record<string, NodeStatus>;
  /**
   * The operation taken from the annotation and not finished yet. The annotation is removed
   * once this is written, so a leader killed while carrying it out leaves this record, not
   * the annotation: the next finishes it instead of carrying it out again.
   */
  pendingOperation?: PendingOperation;
}

export interface PendingOperation {
  operation: string;
  /** When it was taken; a start or stop it carries out takes this as startedAt or stoppedAt. */
  at: string;
}

export interface Trace {
  apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  kind: typeof KIND;
  metadata: NamespacedMeta;
  spec?: TraceSpec;
  status?: TraceStatus;
}

/** The parameters netgraph reads from spec.parameters, once validated. */
export interface TraceParameters {
  groupBy: GroupBy;
  /** Only edges to these remote addresses; empty means all. */
  ips: string[];
  /** Opt-in labels of the trace's Prometheus series (pod names, IPs); none by default. */
  metricsLabels?: MetricsLabelOption[];
  /** spec.parameters.attach; unset: the agent's default (--attach). */
  attach?: AttachMode;
}

export const traceKey = (t: { metadata: { namespace?: string; name?: string } }): string =>
  `${t.metadata.namespace ?? ''}/${t.metadata.name ?? ''}`;
