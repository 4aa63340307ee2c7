// The agent makes itself known with a Lease per node in the operator's namespace
// (its shape is in api/agent.ts): its address and certificate in annotations,
// renewed every few seconds. When it stops renewing, the operator knows the agent is gone.
import { type AgentInfo, agentLease, agentLeaseName, agentLeasesPath } from '../../api/agent.js';
import { HeldLease } from '../../lib/held-lease.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Logger } from '../../lib/log.js';

export const agentHeldLease = (
  kube: KubeClient,
  namespace: string,
  agent: Omit<AgentInfo, 'expires'>,
  log: Logger,
): HeldLease =>
  new HeldLease(
    kube,
    agentLeasesPath(namespace),
    agentLeaseName(agent.node),
    (renewed) => agentLease(namespace, agent, renewed),
    log,
  );
