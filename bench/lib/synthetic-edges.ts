// Enriched edges of a made-up cluster, the same each run (seeded): 50 namespaces,
// 2,000 workloads of 5 pods on 100 nodes, each edge to a Service (30%), a pod of
// another workload (55%) or an address outside (15%), counters at zero. Labels are
// one object per workload, shared, as enrichment hands out the pod cache's.
import type { Edge } from '../../api/edge.js';

const NAMESPACES = 50;
const WORKLOADS = 2_000;
const PODS = 5;
const SERVER_PORTS = [80, 443, 8080, 5432, 53];

export interface SyntheticEdges {
  edges: Edge[];
  /** The generator's next pick in 0..n-1, to grow counters the same way each run. */
  pick: (n: number) => number;
}

/** `count` edges; `uniquePorts`: each its own port (every edge its own key). */
export function syntheticEdges(
  count: number,
  { seed = 7, uniquePorts = false }: { seed?: number; uniquePorts?: boolean } = {},
): SyntheticEdges {
  let s = seed;
  const rand = () => {
    s = (s * 48_271) % 2_147_483_647;
    return s / 2_147_483_647;
  };
  const pick = (n: number) => Math.floor(rand() * n);
  const podIP = (w: number, p: number) => `10.244.${w >> 4}.${((w & 15) << 4) | p}`;
  const labels = Array.from({ length: WORKLOADS }, (_, w) => ({
    app: `wl-${w}`,
    'pod-template-hash': `h${w}`,
  }));
  const edges: Edge[] = [];
  for (let i = 0; i < count; i++) {
    const w = pick(WORKLOADS);
    const p = pick(PODS);
    const e: Edge = {
      type: 'normal',
      node: `node-${w % 100}`,
      namespace: `ns-${w % NAMESPACES}`,
      pod: `wl-${w}-${p}`,
      podIP: podIP(w, p),
      podOwner: `wl-${w}`,
      podOwnerKind: 'Deployment',
      podLabels: labels[w],
      pktType: rand() < 0.5 ? 'OUTGOING' : 'HOST',
      proto: rand() < 0.8 ? 'tcp' : 'udp',
      port: uniquePorts ? 1024 + i : (SERVER_PORTS[pick(SERVER_PORTS.length)] as number),
      // The counters exist on TraceRun's edges before any observer sees them.
      connections: 0,
      packetsSent: 0,
      packetsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      bytesTotal: 0,
    };
    const kind = rand();
    if (kind < 0.3) {
      const svc = pick(WORKLOADS);
      Object.assign(e, {
        ip: `10.96.${svc >> 8}.${svc & 255}`,
        remoteKind: 'svc',
        remoteServiceNamespace: `ns-${svc % NAMESPACES}`,
        remoteServiceName: `svc-${svc}`,
      });
    } else if (kind < 0.85) {
      const rw = pick(WORKLOADS);
      const rp = pick(PODS);
      Object.assign(e, {
        ip: podIP(rw, rp),
        remoteKind: 'pod',
        remotePodNamespace: `ns-${rw % NAMESPACES}`,
        remotePodName: `wl-${rw}-${rp}`,
        remotePodLabels: labels[rw],
      });
    } else {
      const a = `${1 + pick(200)}.${pick(256)}.${pick(256)}.${pick(256)}`;
      Object.assign(e, { ip: a, remoteKind: 'other', remoteOther: a });
    }
    edges.push(e);
  }
  return { edges, pick };
}
