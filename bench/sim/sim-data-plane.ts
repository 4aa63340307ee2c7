// A node's data plane, simulated: the real Agent (gadget/agent/agent.ts) runs on it
// unchanged, so the operator meets the real agent code (its trace state, sequence
// numbers, resume backlog, HTTPS server) while the edges come from the Traffic plan
// instead of the kernel. Each pod is its own "network namespace"; a tracer drains
// the edges its pod made in rounds it has not reported yet.
import type { Edge } from '../../api/edge.js';
import type { AttachMode } from '../../api/trace.js';
import type { DataPlane, PodTracer } from '../../gadget/agent/agent.js';
import type { PodNetnsFacts } from '../../gadget/agent/pod-sandbox.js';
import type { EdgeStats } from '../../gadget/dataplane/edge-maps.js';
import type { SimPod, Traffic } from './traffic.js';

const netnsPath = (p: SimPod) => `sim:${p.index}`;
const NO_STATS: EdgeStats = { edges: 0, edgeDrops: 0, flowDrops: 0, midstream: 0, seeded: 0 };

class SimTracer implements PodTracer {
  /** The last round drained. */
  private drained = 0;

  constructor(
    private readonly pod: SimPod,
    private readonly traffic: Traffic,
  ) {}

  drain(): Edge[] {
    const r = this.traffic.round;
    if (r <= this.drained) return [];
    this.drained = r;
    return this.traffic.edgesOf(this.pod, r, new Date().toISOString());
  }

  snapshot(): Edge[] {
    return this.traffic.edgesOf(this.pod, this.drained, new Date().toISOString());
  }

  stats(): EdgeStats {
    return NO_STATS;
  }

  close(): void {}
}

export class SimDataPlane implements DataPlane {
  private readonly byIP = new Map<string, SimPod>();
  private readonly byPath = new Map<string, SimPod>();

  constructor(
    pods: readonly SimPod[],
    private readonly traffic: Traffic,
  ) {
    for (const p of pods) {
      this.byIP.set(p.ip, p);
      this.byPath.set(netnsPath(p), p);
    }
  }

  async findPodNetns(pod: { uid: string; ips: string[] }): Promise<PodNetnsFacts> {
    const p = pod.ips.map((ip) => this.byIP.get(ip)).find(Boolean);
    if (!p) return { sandboxes: [], holders: [] };
    const ref = { path: netnsPath(p), name: `sim-${p.index}`, inode: p.index + 1 };
    return { sandboxes: [ref], holders: [ref] };
  }

  async openTracers(netnsPaths: string[], _mode: AttachMode): Promise<(PodTracer | Error)[]> {
    return netnsPaths.map((path) => {
      const p = this.byPath.get(path);
      return p ? new SimTracer(p, this.traffic) : new Error(`no simulated pod at ${path}`);
    });
  }

  async openConnections(netnsPaths: string[]): Promise<(Map<string, number> | Error)[]> {
    return netnsPaths.map(() => new Map());
  }
}
