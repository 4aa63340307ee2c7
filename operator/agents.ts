// Which nodes have a live agent and where it listens, from the agents' Leases.
import { AGENT_CERT_ANNOTATION, AGENT_ENDPOINT_ANNOTATION } from '../api/agent.js';

export interface Lease {
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

export interface AgentInfo {
  node: string;
  endpoint: string;
  /** The agent's certificate (PEM), the only one trusted for its endpoint. */
  cert: string;
  /** Until when the lease holds (ms since epoch). */
  expires: number;
}

export function agentFromLease(lease: Lease): AgentInfo | undefined {
  const node = lease.spec?.holderIdentity;
  const endpoint = lease.metadata?.annotations?.[AGENT_ENDPOINT_ANNOTATION];
  const cert = lease.metadata?.annotations?.[AGENT_CERT_ANNOTATION];
  const renew = Date.parse(lease.spec?.renewTime ?? '');
  if (!node || !endpoint || !cert || Number.isNaN(renew)) return undefined;
  return { node, endpoint, cert, expires: renew + (lease.spec?.leaseDurationSeconds ?? 15) * 1000 };
}

export const isAlive = (a: AgentInfo | undefined, now = Date.now()): a is AgentInfo =>
  a !== undefined && a.expires > now;
