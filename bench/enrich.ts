// Enrichment throughput and memory at the design's scale: caches of 10,000 pods
// (3 per ReplicaSet/Deployment, dual-stack), 2,000 services and 100 nodes (with
// pod ranges, which every `other` address is looked up in), with a few reused pod
// IPs, then 1,000,000 fresh raw edges through Enricher.enrich.
// Prints edges/s and heap/RSS after GC, and writes bench/results/enrich.json.
//
//   node --expose-gc --import tsx bench/enrich.ts
//
// Targets: >= 200,000 edges/s, RSS < 250 MB with those caches.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Edge } from '../api/edge.js';
import type { Node, Pod, ReplicaSet, Service } from '../lib/kube-objects.js';
import { ClusterState } from '../operator/enrich/cluster-state.js';
import { Enricher } from '../operator/enrich/enricher.js';
import { groupEdges } from '../operator/enrich/group.js';

const PODS = 10_000;
const PODS_PER_DEPLOYMENT = 3;
const SERVICES = 2_000;
const NODES = 100;
const NAMESPACES = 50;
const EDGES = 1_000_000;
/** Edges parsed ahead of one timed enrich loop: about what an agent sends at once. */
const BATCH = 10_000;
const TEMPLATES = 20_000;
/** Pods deleted and replaced by a pod with the same IP (the IP history's slow path). */
const REUSED = 100;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/enrich.ts');

// A deterministic generator, so runs compare.
let seed = 42;
const rand = () => {
  seed = (seed * 48_271) % 2_147_483_647; // MINSTD: exact in doubles
  return seed / 2_147_483_647;
};
const pick = (n: number) => Math.floor(rand() * n);
const v4 = (a: number, b: number, i: number) => `10.${a}.${b + (i >> 8)}.${i & 255}`;
const v6 = (net: string, i: number) => `fd00:10:${net}::${(i + 1).toString(16)}`;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function memory() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapUsedMB: mb(m.heapUsed), rssMB: mb(m.rss) };
}

const clock = { now: Date.parse('2025-11-23T10:00:00Z') };
const baseline = memory();

// The objects are built one at a time and dropped after apply(), as an informer hands them over.
const state = new ClusterState({ now: () => clock.now });
const buildStart = performance.now();
for (let n = 0; n < NODES; n++) {
  const node: Node = {
    metadata: { name: `node-${n}`, uid: `node-uid-${n}` },
    // Pod ranges as kube-controller-manager allocates them: an `other` address is looked up there too.
    spec: { podCIDRs: [`10.244.${n}.0/24`, `fd00:10:244:${n.toString(16)}::/64`] },
    status: {
      addresses: [
        { type: 'InternalIP', address: v4(250, 0, n) },
        { type: 'InternalIP', address: v6('250', n) },
        { type: 'Hostname', address: `node-${n}` },
      ],
    },
  };
  state.apply('Node', 'ADDED', node);
}
const deployments = Math.ceil(PODS / PODS_PER_DEPLOYMENT);
const hash = (d: number) => (0x5f00000 + d * 7919).toString(16);
for (let d = 0; d < deployments; d++) {
  const rs: ReplicaSet = {
    metadata: {
      name: `app-${d}-${hash(d)}`,
      namespace: `ns-${d % NAMESPACES}`,
      uid: `rs-uid-${d}`,
      labels: { app: `app-${d}`, 'pod-template-hash': hash(d) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: `app-${d}`,
          uid: `d-${d}`,
          controller: true,
        },
      ],
    },
  };
  state.apply('ReplicaSet', 'ADDED', rs);
}
const podObject = (i: number, uid: string): Pod => {
  const d = Math.floor(i / PODS_PER_DEPLOYMENT);
  const node = i % NODES;
  return {
    metadata: {
      name: `app-${d}-${hash(d)}-${i.toString(36).padStart(5, 'x')}`,
      namespace: `ns-${d % NAMESPACES}`,
      uid,
      creationTimestamp: new Date(clock.now - 86_400_000).toISOString(),
      labels: { app: `app-${d}`, 'pod-template-hash': hash(d), team: `team-${d % 7}` },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `app-${d}-${hash(d)}`,
          uid: `rs-uid-${d}`,
          controller: true,
        },
      ],
    },
    spec: { nodeName: `node-${node}`, containers: [{ name: 'main' }] },
    status: {
      phase: 'Running',
      hostIP: v4(250, 0, node),
      hostIPs: [{ ip: v4(250, 0, node) }, { ip: v6('250', node) }],
      podIP: v4(244, 0, i),
      podIPs: [{ ip: v4(244, 0, i) }, { ip: v6('244', i) }],
    },
  };
};
for (let i = 0; i < PODS; i++) state.apply('Pod', 'ADDED', podObject(i, `pod-uid-${i}`));
for (let s = 0; s < SERVICES; s++) {
  const svc: Service = {
    metadata: { name: `app-${s}`, namespace: `ns-${s % NAMESPACES}`, uid: `svc-uid-${s}` },
    spec: {
      selector: { app: `app-${s}` },
      clusterIP: v4(96, 0, s),
      clusterIPs: [v4(96, 0, s), v6('96', s)],
      ports: [{ port: 80, targetPort: 8080 }],
    },
  };
  state.apply('Service', 'ADDED', svc);
}
// Reused IPs: the pod is deleted, and 2 s later another pod gets its addresses.
const reuseAt = clock.now + 60_000;
clock.now = reuseAt;
for (let r = 0; r < REUSED; r++)
  state.apply('Pod', 'DELETED', podObject(r * 97, `pod-uid-${r * 97}`));
clock.now += 2_000;
for (let r = 0; r < REUSED; r++) state.apply('Pod', 'ADDED', podObject(r * 97, `pod-uid-new-${r}`));
const buildMs = performance.now() - buildStart;
const withCaches = memory();

// Raw edges as agents send them, one JSON line each: local pod known, remote 40% service,
// 40% pod, 10% node, 10% outside; 20% IPv6; firstSeen within 5 minutes of the IP reuse.
const lines: string[] = [];
for (let t = 0; t < TEMPLATES; t++) {
  const local = pick(PODS);
  const d = Math.floor(local / PODS_PER_DEPLOYMENT);
  const six = rand() < 0.2;
  const r = rand();
  let ip: string;
  if (r < 0.4) ip = six ? v6('96', pick(SERVICES)) : v4(96, 0, pick(SERVICES));
  else if (r < 0.8) ip = six ? v6('244', pick(PODS)) : v4(244, 0, pick(PODS));
  else if (r < 0.9) ip = six ? v6('250', pick(NODES)) : v4(250, 0, pick(NODES));
  else ip = six ? `2001:db8::${pick(4096).toString(16)}` : `203.0.113.${pick(256)}`;
  const seen = new Date(reuseAt - 300_000 + pick(600_000)).toISOString();
  const edge: Edge = {
    node: `node-${local % NODES}`,
    namespace: `ns-${d % NAMESPACES}`,
    pod: `app-${d}-${hash(d)}-${local.toString(36).padStart(5, 'x')}`,
    type: 'normal',
    pktType: rand() < 0.3 ? 'HOST' : 'OUTGOING',
    proto: rand() < 0.9 ? 'tcp' : 'udp',
    ip,
    port: r < 0.4 ? 80 : 1024 + pick(60_000),
    connections: 1,
    packetsSent: 10,
    packetsReceived: 12,
    bytesSent: 1_000,
    bytesReceived: 12_000,
    bytesTotal: 13_000,
    firstSeen: seen,
    lastSeen: seen,
  };
  lines.push(JSON.stringify(edge));
}

const enricher = new Enricher(state);
const kinds: Record<string, number> = {};
let next = 0;
/** Parses one batch of lines, then enriches it; returns the time spent in enrich() alone. */
function runBatch(n: number, keep?: Edge[]): number {
  const batch = new Array<Edge>(n);
  for (let i = 0; i < n; i++) batch[i] = JSON.parse(lines[next++ % TEMPLATES] as string);
  const start = performance.now();
  for (let i = 0; i < n; i++) enricher.enrich(batch[i] as Edge);
  const ms = performance.now() - start;
  for (const e of batch) kinds[e.remoteKind ?? 'none'] = (kinds[e.remoteKind ?? 'none'] ?? 0) + 1;
  keep?.push(...batch.slice(0, 5_000));
  return ms;
}

for (let w = 0; w < 100_000; w += BATCH) runBatch(BATCH); // warm-up, not counted
for (const k of Object.keys(kinds)) delete kinds[k];
next = 0;
let enrichMs = 0;
const unique: Edge[] = [];
for (let done = 0; done < EDGES; done += BATCH)
  enrichMs += runBatch(BATCH, done === 0 ? unique : undefined);
const edgesPerSecond = Math.round(EDGES / (enrichMs / 1000));
const afterRun = memory();

// What a status write costs: regrouping the unique set (5,000 edges) in every view, first with
// cold memos (selecting services, owners), then again.
const regroupMs = (): Record<string, number> => {
  const ms: Record<string, number> = {};
  for (const groupBy of ['pod', 'service', 'namespace', 'owner', 'node'] as const) {
    const start = performance.now();
    groupEdges(unique, { groupBy, ips: [] }, state);
    ms[groupBy] = Math.round((performance.now() - start) * 100) / 100;
  }
  return ms;
};
const groupMs = { cold: regroupMs(), warm: regroupMs() };

const result = {
  date: new Date().toISOString(),
  node: process.version,
  caches: state.stats(),
  reusedPodIPs: REUSED,
  buildMs: Math.round(buildMs),
  edges: EDGES,
  enrichMs: Math.round(enrichMs),
  edgesPerSecond,
  remoteKinds: kinds,
  memory: { baseline, withCaches, afterRun },
  cacheHeapMB: mb((withCaches.heapUsedMB - baseline.heapUsedMB) * 2 ** 20),
  regroup5000EdgesMs: groupMs,
  targets: {
    edgesPerSecond: { want: '>= 200000', ok: edgesPerSecond >= 200_000 },
    rssMB: { want: '< 250', ok: afterRun.rssMB < 250 },
  },
};

console.log(
  `enrich: ${edgesPerSecond.toLocaleString('en')} edges/s (${EDGES.toLocaleString('en')} edges, ${result.enrichMs} ms)`,
);
console.log(
  `caches: ${result.caches.pods} pods, ${result.caches.services} services, ${result.caches.nodes} nodes, ${result.caches.replicaSets} ReplicaSets; built in ${result.buildMs} ms, ${result.cacheHeapMB} MB of heap`,
);
console.log(
  `memory after GC: baseline heap ${baseline.heapUsedMB} MB / RSS ${baseline.rssMB} MB; with caches heap ${withCaches.heapUsedMB} MB / RSS ${withCaches.rssMB} MB; after the run heap ${afterRun.heapUsedMB} MB / RSS ${afterRun.rssMB} MB`,
);
console.log(`remote kinds: ${JSON.stringify(kinds)}`);
console.log(`regroup 5,000 edges (ms): ${JSON.stringify(groupMs)}`);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'enrich.json'), `${JSON.stringify(result, null, 2)}\n`);
if (!result.targets.edgesPerSecond.ok || !result.targets.rssMB.ok) {
  console.log('target missed');
  process.exitCode = 1;
}
