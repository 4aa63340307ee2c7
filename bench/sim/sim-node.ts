// One simulated node's agent, in the load generator's process: the real Agent on a
// simulated data plane, served by the real agent HTTPS server (gadget/agent/server.ts)
// with its own certificate, announced by its own Lease, and checking the operator's
// token with a TokenReview as every agent does (its own cache, so the apiserver sees
// one review per agent a minute, as with real agents). It also records each edge
// stream the operator opens: when, until when and how it was answered, so a run can
// tell when a node was streaming again and whether two replicas ever held one at once.
import type http from 'node:http';
import { AGENT_REPLICA_HEADER } from '../../api/agent.js';
import { Agent, type DataPlane, type Pod } from '../../gadget/agent/agent.js';
import { agentHeldLease } from '../../gadget/agent/lease.js';
import { agentServer } from '../../gadget/agent/server.js';
import { Authenticator } from '../../gadget/agent/token-review.js';
import type { HeldLease } from '../../lib/held-lease.js';
import { closeServer, listen, type Server } from '../../lib/http-server.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Logger } from '../../lib/log.js';
import type { TlsIdentity } from '../../lib/tls.js';

/** One GET of the edge stream: when it came, when it ended and the answer's status. */
export interface StreamRecord {
  /** The replica that asked (its header), '' when it named none. */
  replica: string;
  start: number;
  end?: number;
  status?: number;
}

export interface SimNodeOptions {
  node: string;
  /** Its pods, as the apiserver holds them (the real agent watches them). */
  pods: Pod[];
  dataPlane: DataPlane;
  tls: TlsIdentity;
  kube: KubeClient;
  /** The operator's namespace: where the Lease goes. */
  namespace: string;
  /** system:serviceaccount:<ns>:<name>, the only user let in. */
  operatorUser: string;
  log: Logger;
  /** How often the agent drains its tracers (the agent's --interval). */
  drainMs: number;
  /** How often the Lease is renewed. */
  renewMs: number;
}

export class SimNode {
  readonly agent: Agent;
  readonly streams: StreamRecord[] = [];
  private server?: Server;
  private lease?: HeldLease;

  constructor(private readonly o: SimNodeOptions) {
    this.agent = new Agent(o.node, o.dataPlane, o.log, o.drainMs);
    this.agent.onPodsReset(o.pods);
  }

  get node(): string {
    return this.o.node;
  }

  /** Listens on 127.0.0.1 (the Node's InternalIP) and writes its Lease. */
  async start(): Promise<void> {
    const auth = new Authenticator(this.o.kube, this.o.operatorUser);
    const server = agentServer({
      agent: this.agent,
      tls: this.o.tls,
      authenticate: (h) => auth.check(h),
      log: this.o.log,
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.method !== 'GET' || !req.url?.includes('/edges')) return;
      const rec: StreamRecord = {
        replica: String(req.headers[AGENT_REPLICA_HEADER] ?? ''),
        start: Date.now(),
      };
      this.streams.push(rec);
      res.on('close', () => {
        rec.end = Date.now();
        rec.status = res.statusCode;
      });
    });
    const { port } = await listen(server, { host: '127.0.0.1', port: 0 });
    this.server = server;
    this.lease = agentHeldLease(
      this.o.kube,
      this.o.namespace,
      { node: this.o.node, endpoint: `https://127.0.0.1:${port}`, cert: this.o.tls.cert },
      this.o.log,
    );
    await this.lease.start(this.o.renewMs);
  }

  /** Edge streams open now. */
  openStreams(): StreamRecord[] {
    return this.streams.filter((s) => s.end === undefined);
  }

  /** Streams answered 200 that overlapped an earlier one: two holders at once. */
  overlaps(): number {
    const ok = this.streams.filter((s) => s.status === 200 || s.end === undefined);
    let n = 0;
    for (let i = 1; i < ok.length; i++) {
      const prevEnd = Math.max(...ok.slice(0, i).map((s) => s.end ?? Infinity));
      if ((ok[i] as StreamRecord).start < prevEnd) n++;
    }
    return n;
  }

  /**
   * `deleteLease`: stop renewing and remove the Lease; without it the renewals go on
   * until the process exits (the whole bed is going down with the Lease in it).
   */
  async stop(deleteLease = true): Promise<void> {
    if (deleteLease) await this.lease?.stop();
    this.agent.close();
    if (this.server) await closeServer(this.server);
  }
}
