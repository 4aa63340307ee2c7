// The agent makes itself known with a Lease per node in the operator's namespace
// (its shape is in api/agent.ts): its address and certificate in annotations,
// renewed every few seconds. When it stops renewing, the operator knows the agent is gone.
import { type AgentInfo, agentLease, agentLeaseName, agentLeasesPath } from '../../api/agent.js';
import { isConflict, isNotFound, type KubeClient } from '../../lib/kube.js';
import type { Logger } from '../../lib/log.js';

export class AgentLease {
  private timer?: NodeJS.Timeout;
  private readonly path: string;

  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string,
    private readonly agent: Omit<AgentInfo, 'expires'>,
    private readonly log: Logger,
  ) {
    this.path = agentLeasesPath(namespace);
  }

  async start(renewMs = 5000): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => {
      this.renew().catch((err) => this.log.warn({ err }, 'lease renewal failed'));
    }, renewMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // Removing the lease tells the operator at once rather than after it expires.
    await this.kube
      .request('DELETE', `${this.path}/${agentLeaseName(this.agent.node)}`)
      .catch(() => {});
  }

  private async renew(): Promise<void> {
    const lease = agentLease(this.namespace, this.agent, new Date());
    try {
      await this.kube.mergePatch(`${this.path}/${agentLeaseName(this.agent.node)}`, lease);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.kube.request('POST', this.path, lease).catch((e) => {
        if (!isConflict(e)) throw e;
      });
    }
  }
}
