// The agent makes itself known with a Lease per node in the operator's namespace:
// its address in an annotation, renewed every few seconds. When it stops renewing,
// the operator knows the agent is gone.
import {
  AGENT_CERT_ANNOTATION,
  AGENT_ENDPOINT_ANNOTATION,
  AGENT_LEASE_LABEL,
  agentLeaseName,
} from '../../api/agent.js';
import { isConflict, isNotFound, type Kube } from '../../lib/kube.js';
import type { Logger } from '../../lib/log.js';

export const LEASE_SECONDS = 15;

export class AgentLease {
  private timer?: NodeJS.Timeout;
  private readonly path: string;

  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
    private readonly node: string,
    private readonly endpoint: string,
    private readonly cert: string,
    private readonly log: Logger,
  ) {
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  }

  async start(renewMs = 5000): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => {
      this.renew().catch((err) => this.log.warn({ err: String(err) }, 'lease renewal failed'));
    }, renewMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // Removing the lease tells the operator at once rather than after it expires.
    await this.kube.request('DELETE', `${this.path}/${agentLeaseName(this.node)}`).catch(() => {});
  }

  private async renew(): Promise<void> {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: agentLeaseName(this.node),
        namespace: this.namespace,
        labels: { [AGENT_LEASE_LABEL]: 'true' },
        annotations: {
          [AGENT_ENDPOINT_ANNOTATION]: this.endpoint,
          [AGENT_CERT_ANNOTATION]: this.cert,
        },
      },
      spec: {
        holderIdentity: this.node,
        leaseDurationSeconds: LEASE_SECONDS,
        renewTime: new Date().toISOString().replace('Z', '000Z'),
      },
    };
    try {
      await this.kube.mergePatch(`${this.path}/${lease.metadata.name}`, lease);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.kube.request('POST', this.path, lease).catch((e) => {
        if (!isConflict(e)) throw e;
      });
    }
  }
}
