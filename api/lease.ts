// A coordination.k8s.io/v1 Lease as netgraph's parts hold them: an agent's for its node
// (api/agent.ts), an operator replica's for its place in the ring (api/ring.ts).
import type { KubeObject } from '../lib/kube-objects.js';

/** A coordination.k8s.io/v1 Lease, the fields netgraph uses. */
export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

export interface LeaseFields {
  name: string;
  namespace: string;
  /** The label its readers' watch selects on (set to "true"). */
  label: string;
  annotations: Record<string, string>;
  holder: string;
  seconds: number;
}

/** The Lease object its holder writes, renewed at `renewed`. */
export function leaseObject(f: LeaseFields, renewed: Date): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: f.name,
      namespace: f.namespace,
      labels: { [f.label]: 'true' },
      annotations: f.annotations,
    },
    spec: {
      holderIdentity: f.holder,
      leaseDurationSeconds: f.seconds,
      // MicroTime: the API wants microseconds.
      renewTime: renewed.toISOString().replace('Z', '000Z'),
    },
  };
}

/** Until when a Lease holds (ms since epoch); NaN when it has no renewal time. */
export const leaseExpiry = (lease: Lease, defaultSeconds: number): number =>
  Date.parse(lease.spec?.renewTime ?? '') +
  (lease.spec?.leaseDurationSeconds ?? defaultSeconds) * 1000;
