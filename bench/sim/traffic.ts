// The simulated cluster's traffic, and so the truth a scale run is checked against
// (pure): which pods exist on which node, and in each round which edges each pod has
// and their counters. Round 0 is silence; every round after it, each edge a pod has
// carries one more connection, so after round r an edge present since round s has
// counted exactly r - s + 1 of them, whoever carried its frames in between.
import type { Edge, EdgeCounters } from '../../api/edge.js';

export interface ClusterShape {
  nodes: number;
  podsPerNode: number;
}

/** A pod of the simulated cluster; `index` numbers every pod, node by node. */
export interface SimPod {
  index: number;
  node: string;
  namespace: string;
  name: string;
  ip: string;
  labels: Record<string, string>;
}

/** Pod addresses are 10.128.0.0/16, one each: the cluster holds at most 65,536 pods. */
export const MAX_PODS = 1 << 16;

export const simNodeName = (n: number): string => `scale-${String(n).padStart(4, '0')}`;
export const isSimNode = (name: string): boolean => /^scale-\d{4}$/.test(name);
export const simPodIP = (index: number): string => `10.128.${index >> 8}.${index & 255}`;

export function simPods(namespace: string, shape: ClusterShape): SimPod[] {
  const total = shape.nodes * shape.podsPerNode;
  if (total > MAX_PODS) throw new Error(`at most ${MAX_PODS} pods (nodes x pods per node)`);
  return Array.from({ length: total }, (_, index) => {
    const n = Math.floor(index / shape.podsPerNode);
    return {
      index,
      node: simNodeName(n),
      namespace,
      name: `p-${n}-${index % shape.podsPerNode}`,
      ip: simPodIP(index),
      // Ten workloads' worth of labels, as Deployments would spread them.
      labels: { app: `app-${index % 10}` },
    };
  });
}

/** Counters of an edge that has seen `rounds` rounds of traffic. */
export const countersAfter = (rounds: number): Required<EdgeCounters> => ({
  connections: rounds,
  packetsSent: 10 * rounds,
  packetsReceived: 10 * rounds,
  bytesSent: 1000 * rounds,
  bytesReceived: 5000 * rounds,
  bytesTotal: 6000 * rounds,
});

/** The server port of a pod's j-th edge: ports tell a pod's edges apart. */
const edgePort = (j: number) => 8000 + j;

/**
 * The traffic plan: `edgesPerPod[r - 1]` is how many edges each pod has in round r
 * (never fewer than the round before: an edge, once made, keeps counting).
 */
export class Traffic {
  /** The round now going on; tracers drain what it made. */
  round = 0;
  private readonly total: number;

  constructor(
    private readonly shape: ClusterShape,
    readonly edgesPerPod: readonly number[],
  ) {
    this.total = shape.nodes * shape.podsPerNode;
    edgesPerPod.forEach((n, i) => {
      if (i > 0 && n < (edgesPerPod[i - 1] ?? 0)) throw new Error('edges per pod never shrink');
    });
  }

  get rounds(): number {
    return this.edgesPerPod.length;
  }

  /** Edges per pod in round r (0 before the first). */
  edgesIn(r: number): number {
    return r < 1 ? 0 : (this.edgesPerPod[Math.min(r, this.rounds) - 1] ?? 0);
  }

  /** The first round edge j of a pod exists in. */
  private since(j: number): number {
    return this.edgesPerPod.findIndex((n) => n > j) + 1;
  }

  /**
   * A pod's edges as its tracer reads them after round r: counters cumulative since
   * attach (the pod is attached before round 1), the remote a pod on another node.
   */
  edgesOf(pod: SimPod, r: number, now: string): Edge[] {
    const out: Edge[] = [];
    for (let j = 0; j < this.edgesIn(r); j++) {
      const remote = (pod.index + (j + 1) * this.shape.podsPerNode) % this.total;
      out.push({
        type: 'normal',
        pktType: 'OUTGOING',
        proto: 'tcp',
        ip: simPodIP(remote),
        port: edgePort(j),
        ...countersAfter(r - this.since(j) + 1),
        firstSeen: now,
        lastSeen: now,
      });
    }
    return out;
  }

  /** Every edge made up to round r, by key (edgeKeyOf), with its counters then. */
  truth(pods: readonly SimPod[], r: number): Map<string, Required<EdgeCounters>> {
    const out = new Map<string, Required<EdgeCounters>>();
    for (const pod of pods) {
      for (let j = 0; j < this.edgesIn(r); j++) {
        out.set(
          truthKey(pod.node, pod.namespace, pod.name, edgePort(j)),
          countersAfter(r - this.since(j) + 1),
        );
      }
    }
    return out;
  }
}

const truthKey = (node: string, namespace: string, pod: string, port: number) =>
  `${node}/${namespace}/${pod}/${port}`;

/** The key truth() files an edge under, from an edge as the operator logs it. */
export const edgeKeyOf = (e: {
  node?: string;
  namespace?: string;
  pod?: string;
  port?: number;
}): string => truthKey(e.node ?? '', e.namespace ?? '', e.pod ?? '', e.port ?? 0);
