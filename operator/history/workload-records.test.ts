import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { fixtureState } from '../../test/fixtures/k8s/cluster.js';
import { Enricher } from '../enrich/enricher.js';
import { groupNames } from '../enrich/group.js';
import { buildGraph, type GraphQuery, UNFILTERED } from '../graph/graph.js';
import { workloadIndex } from '../metrics/cluster-workloads.js';
import { type EdgeRecord, HistoryStore } from './history.js';
import type { WorkloadEdgeLabels } from './workload-bins.js';
import { workloadRecords } from './workload-records.js';

const state = fixtureState();
const enricher = new Enricher(state);

/** client (Deployment) -> Service server -> server-0 (StatefulSet), as the series name them. */
const SERIES: WorkloadEdgeLabels[] = [
  {
    trace: 'demo/t',
    namespace: 'demo',
    workload: 'client',
    workload_kind: 'Deployment',
    pkt_type: 'OUTGOING',
    remote_kind: 'svc',
    remote_namespace: 'demo',
    remote_workload: 'server',
    proto: 'tcp',
    port: '80',
  },
  {
    trace: 'demo/t',
    namespace: 'demo',
    workload: 'server',
    workload_kind: 'StatefulSet',
    pkt_type: 'HOST',
    remote_kind: 'pod',
    remote_namespace: 'demo',
    remote_workload: 'client',
    proto: 'tcp',
    port: '8080',
  },
  {
    trace: 'demo/t',
    namespace: 'demo',
    workload: 'debug',
    workload_kind: 'Pod',
    pkt_type: 'OUTGOING',
    remote_kind: 'other',
    remote_namespace: '',
    remote_workload: '203.0.113.0/24',
    proto: 'udp',
    port: '53',
  },
];

/** The memory's record of the client's own edge to the Service (a pod of the Deployment). */
function memoryRecords(): readonly EdgeRecord[] {
  const s = new HistoryStore({ groupNames: (e, by) => groupNames(e, by, state), now: () => 0 });
  s.started('demo/t', {}, { groupBy: 'pod', ips: [] });
  const e: Edge = enricher.enrich({
    type: 'normal',
    namespace: 'demo',
    pod: 'client-7d4b9c-x2k4p',
    pktType: 'OUTGOING',
    proto: 'tcp',
    ip: '10.96.12.34',
    port: 80,
  });
  s.edge('demo/t', 'node-a', e);
  return s.get('demo/t')?.records ?? [];
}

/** The graph of memory and series records, each record's totals given: [connections, sent, received]. */
function graph(q: Partial<GraphQuery>, counts: number[][]) {
  const memory = memoryRecords();
  const records = [...memory, ...workloadRecords(SERIES, memory.length, workloadIndex(state))];
  const totals = Float64Array.from(counts.flat());
  const query: GraphQuery = { ...UNFILTERED, ...q };
  return buildGraph(records, totals, query).graph;
}

const COUNTS = [
  [1, 100, 1000], // memory: client pod -> Service
  [2, 200, 2000], // series: client -> Service
  [2, 1990, 201], // series: server's side, from the client
  [1, 40, 80], // series: debug -> outside
];
const rows = (q: Partial<GraphQuery>) =>
  graph(q, COUNTS).edges.map((e) => [e.source, e.target, e.bytesSent, e.bytesReceived]);

describe('workloadRecords', () => {
  it('names the ends as the memory does, so both parts of a window draw one owner edge', () => {
    expect(rows({ groupBy: 'owner' })).toEqual([
      ['demo/deployment/client', 'demo/service/server', 300, 3000],
      // The server's side matched to the Service through its pods' labels, turned around.
      ['demo/service/server', 'demo/statefulset/server', 201, 1990],
      ['demo/pod/debug', '203.0.113.0/24', 40, 80],
    ]);
  });

  it('draws a workload in the pod view (the series name no pod), folded Services too', () => {
    expect(rows({ services: 'fold' })).toEqual([
      ['demo/pod/client-7d4b9c-x2k4p', 'demo/service/server', 100, 1000],
      ['demo/deployment/client', 'demo/statefulset/server', 201, 1990],
      ['demo/pod/debug', '203.0.113.0/24', 40, 80],
    ]);
    const kinds = graph({}, COUNTS).entities.map((e) => [e.id, e.kind]);
    expect(kinds).toContainEqual(['demo/deployment/client', 'owner']);
    expect(kinds).toContainEqual(['203.0.113.0/24', 'external']);
  });

  it('groups by namespace and by the Services that select a workload', () => {
    expect(rows({ groupBy: 'namespace' })).toEqual([
      ['demo', 'demo', 100 + 200 + 201, 1000 + 2000 + 1990],
      ['demo', '203.0.113.0/24', 40, 80],
    ]);
    expect(rows({ groupBy: 'service' }).slice(1, 2)).toEqual([
      ['demo/service/server', 'demo/service/server,server-headless', 201, 1990],
    ]);
  });

  it('names a remote workload the series and the cluster do not know as a pod', () => {
    const [r] = workloadRecords(
      [{ ...(SERIES[1] as WorkloadEdgeLabels), remote_workload: 'gone' }],
      7,
      workloadIndex(state),
    );
    expect(r?.id).toBe(7);
    expect(r?.groups.owner).toEqual({
      group: 'demo/statefulset/server',
      remoteGroup: 'demo/pod/gone',
    });
  });
});
