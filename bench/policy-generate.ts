// NetworkPolicy advice at the operator's bound: `generate` over 20,000 kept edges
// (500 workloads, 200 Services, 2,000 external addresses), the generator and the YAML.
// Prints the median time of 5 runs and the YAML's size; writes bench/results/policy-generate.json.
//
//   node --import tsx bench/policy-generate.ts
import type { Edge } from '../api/edge.js';
import { DEFAULT_POLICY_PARAMETERS } from '../api/policy-parameters.js';
import { MAX_POLICY_EDGES } from '../operator/policy/advisor.js';
import { type ClusterFacts, generatePolicies } from '../operator/policy/generate.js';
import { policiesYaml } from '../operator/policy/yaml.js';
import { writeResults } from './lib/results.js';

const WORKLOADS = 500;
const SERVICES = 200;
const facts: ClusterFacts = {
  podOwner: (_ns, name) => ({ kind: 'Deployment', name: name.replace(/-pod$/, '') }),
  selectorOf: (_kind, _ns, name) => ({ matchLabels: { app: name } }),
  service: (_ns, name) => ({
    selector: { app: name },
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  }),
  nodeWithPodRange: () => undefined,
  endpointSlices: () => [
    {
      addressType: 'IPv4',
      addresses: ['10.244.0.1'],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ],
};

const edges: Edge[] = [];
for (let i = 0; edges.length < MAX_POLICY_EDGES; i++) {
  const w = `w${i % WORKLOADS}`;
  const base: Edge = {
    type: 'normal',
    namespace: `ns${i % 10}`,
    pod: `${w}-pod`,
    proto: 'tcp',
    podOwner: w,
    podOwnerKind: 'Deployment',
    podLabels: { app: w, 'pod-template-hash': 'abc' },
    port: 80,
    ip: '',
  };
  const kind = i % 3;
  if (kind === 0)
    edges.push({
      ...base,
      pktType: 'OUTGOING',
      ip: `10.96.${i % 250}.${i % 200}`,
      remoteKind: 'svc',
      remoteServiceNamespace: `ns${i % 10}`,
      remoteServiceName: `s${i % SERVICES}`,
    });
  else if (kind === 1)
    edges.push({
      ...base,
      pktType: 'HOST',
      ip: `10.244.${i % 250}.${i % 251}`,
      port: 8080,
      remoteKind: 'pod',
      remotePodNamespace: `ns${(i + 1) % 10}`,
      remotePodName: `w${(i * 7) % WORKLOADS}-pod`,
      remotePodLabels: { app: `w${(i * 7) % WORKLOADS}` },
    });
  else
    edges.push({
      ...base,
      pktType: 'OUTGOING',
      ip: `203.0.${i % 8}.${i % 250}`,
      port: 443,
      remoteKind: 'other',
    });
}

const times: number[] = [];
let bytes = 0;
let policies = 0;
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  const g = generatePolicies(edges, facts, DEFAULT_POLICY_PARAMETERS, 'bench/trace');
  const yaml = policiesYaml(g.policies);
  times.push(performance.now() - t0);
  bytes = Buffer.byteLength(yaml);
  policies = g.policies.length;
}
times.sort((a, b) => a - b);
const median = times[2] ?? 0;
const rssMB = process.memoryUsage().rss / 2 ** 20;
console.log(
  `generate: ${edges.length} edges -> ${policies} policies, ${(bytes / 1024).toFixed(0)} KiB of YAML, median ${median.toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(', ')} ms), RSS ${rssMB.toFixed(0)} MB`,
);
console.log(
  `results: ${writeResults('policy-generate', { edges: edges.length, policies, bytes, medianMs: median, times, rssMB })}`,
);
