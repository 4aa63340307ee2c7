// The operator assembled: shared watches, enrichment, the trace core and its observers
// (history, metrics), policy advice, and the HTTPS port that serves them. main.ts turns
// flags into these options; nothing here parses or decides, it only wires.
import type { IncomingMessage } from 'node:http';
import { agentFromLease, isAlive } from '../api/agent.js';
import type { ListenAddress } from '../lib/http-server.js';
import { Informers } from '../lib/informer.js';
import type { Kube } from '../lib/kube.js';
import type { Logger } from '../lib/log.js';
import { StreamSlots } from '../lib/stream-slots.js';
import { securePort } from './access/secure-port.js';
import type { ServingCertOptions } from './access/serving-cert.js';
import { ClusterState } from './enrich/cluster-state.js';
import { Enricher } from './enrich/enricher.js';
import { GroupView, groupEdges, groupNames } from './enrich/group.js';
import { ReverseDns } from './enrich/reverse-dns.js';
import { GraphApi } from './graph/api.js';
import { DEFAULT_STREAM_LIMITS } from './graph/streams.js';
import { HistoryStore } from './history/history.js';
import { PrometheusHistory } from './history/prometheus-history.js';
import { type PrometheusOptions, PrometheusSource } from './history/prometheus-source.js';
import { liveWorkloads, podWorkload, workloadIndex } from './metrics/cluster-workloads.js';
import { MetricsEndpoint } from './metrics/endpoint.js';
import type { MetricsFlags } from './metrics/flags.js';
import { PolicyAdvisor } from './policy/advisor.js';
import { PolicyFacts } from './policy/cluster-facts.js';
import { registerPolicyApi } from './policy/http.js';
import { NodeEdgesGatherer, registerNodeEdges } from './ring/node-edges.js';
import { PeerClient } from './ring/peer-client.js';
import { peerToken } from './ring/peer-token.js';
import { Ring } from './ring/ring.js';
import { EdgesStream } from './stream/edges-stream.js';
import { tokenFromFile, tokenFromRequest } from './trace/agent-token.js';
import { Controller } from './trace/controller.js';

export interface OperatorOptions {
  log: Logger;
  kube: Kube;
  /** The operator's namespace: agents' Leases, the published certificate. */
  namespace: string;
  /** The operator's ServiceAccount, whose token the agents accept. */
  serviceAccount: string;
  /** A projected token of that ServiceAccount (in a pod); else one is requested. */
  agentTokenFile?: string;
  reverseDns: boolean;
  listen: ListenAddress;
  historyMs: number;
  metrics: MetricsFlags;
  trustedNamespaces: ReadonlySet<string>;
  tls: ServingCertOptions;
  certConfigMap: string;
  /** A Prometheus for the graph's windows before the memory (--prometheus-url). */
  prometheus?: PrometheusOptions;
  /** This replica's id in the ring (its pod name). */
  replicaId: string;
  /** Where peers reach this replica's port; '' for nowhere. */
  advertiseUrl: string;
}

export interface Operator {
  stop(): Promise<void>;
}

/** Resolves once the port listens and the caches have synced (then /readyz says ready). */
export async function assemble(o: OperatorOptions): Promise<Operator> {
  const { kube, log, namespace } = o;
  // One watch per collection, shared: each part subscribes to what it reads.
  const informers = new Informers(kube, log);
  const state = new ClusterState();
  const policyFacts = new PolicyFacts(state);
  const cachesSynced = Promise.all([state.subscribe(informers), policyFacts.subscribe(informers)]);
  const enricher = new Enricher(state, o.reverseDns ? new ReverseDns() : undefined);
  // The HTTPS port and who may see what on it.
  const { http, access, serving } = securePort({
    ...o.tls,
    kube,
    informers,
    namespace,
    certConfigMap: o.certConfigMap,
    log,
  });

  // The one store of a trace's edges: 10-second bins over the history window for the
  // graph page, and the unique edges policy advice reads.
  const history = new HistoryStore({
    windowMs: o.historyMs,
    groupNames: (e, by) => groupNames(e, by, state),
  });
  // The replicas share the nodes: each follows the agents of those it owns.
  const ring = new Ring({
    kube,
    namespace,
    informers,
    id: o.replicaId,
    endpoint: o.advertiseUrl,
    log: log.child({ part: 'ring' }),
  });
  // Reads (the graph API, the streams, policy advice) see every replica's nodes: the
  // others' part is asked of them (with one replica, no one is).
  const peers = new PeerClient({
    peers: ring,
    serving,
    token: peerToken(kube, namespace, o.serviceAccount),
    store: history,
    log: log.child({ part: 'peers' }),
  });
  const gatherer = new NodeEdgesGatherer(peers, (edges, parameters) =>
    groupEdges(edges, parameters, state),
  );
  const advisor = new PolicyAdvisor(kube, history, policyFacts, undefined, (t) =>
    peers.allEdges(t),
  );
  // Live streams (the page's and `kubectl netgraph observe`'s) share one bound, per
  // caller and in all; the caller is who the port's access control let in.
  const slots = new StreamSlots(DEFAULT_STREAM_LIMITS);
  const identity = (req: IncomingMessage) =>
    access.userOf(req)?.username ?? req.socket.remoteAddress ?? '';
  // Each edge as the operator enriches it (the history, told first, replays what a trace
  // already had).
  const edgesStream = new EdgesStream({ store: history, slots, identity, peers });
  // Prometheus: the graph's series and the operator's own, on /metrics.
  const metrics = new MetricsEndpoint({
    ...o.metrics,
    remoteOwner: (ns, pod) => podWorkload(state, ns, pod),
    liveWorkloads: () => liveWorkloads(state),
    agents: () => {
      const now = Date.now();
      let n = 0;
      for (const l of controller.leases.items.values()) if (isAlive(agentFromLease(l), now)) n++;
      return n;
    },
  });
  const controller = new Controller({
    ownership: ring,
    replicaId: o.replicaId,
    kube,
    namespace,
    log,
    edgeLog: log,
    token: o.agentTokenFile
      ? tokenFromFile(o.agentTokenFile)
      : tokenFromRequest(kube, namespace, o.serviceAccount),
    enrich: (e) => enricher.enrich(e),
    view: (p) => new GroupView(p, state),
    observers: [history, edgesStream, ...metrics.observers],
    generate: (trace, running) => advisor.generate(trace, running),
    // The summary (status.edges, status.output) of every replica's nodes, in the trace's view.
    gather: (trace, parameters, own, fresh) => gatherer.gather(trace, parameters, own, fresh),
    trustedNamespaces: o.trustedNamespaces,
    informers,
    synced: cachesSynced.then(() => {}),
  });

  let synced = false;
  http.route('/readyz', (_req, res) => {
    const ready = synced && ring.ready();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(
      ready
        ? 'ok\n'
        : synced
          ? 'not holding its place in a settled ring\n'
          : 'caches not synced yet\n',
    );
  });
  const graph = new GraphApi({
    store: history,
    log: log.child({ part: 'graph' }),
    mayList: (req, ns, name) => access.mayGetTrace(req, ns, name),
    ...(o.prometheus && {
      prometheus: new PrometheusHistory(
        new PrometheusSource(o.prometheus),
        () => workloadIndex(state),
        log.child({ part: 'prometheus' }),
      ),
    }),
    identity,
    slots,
    peers,
  });
  graph.register(http);
  registerNodeEdges(http, (trace) => controller.nodeEdges(trace));
  edgesStream.register(http);
  http.route('/metrics', metrics.handler);
  registerPolicyApi(http, advisor, peers);

  await http.listen(o.listen);
  informers.start();
  await ring.start(controller);
  await controller.start();
  synced = true;
  metrics.start();
  return {
    async stop() {
      metrics.stop();
      graph.close();
      edgesStream.close();
      peers.close();
      // Running traces stay Started on the agents: this replica's nodes go to the others
      // (or to the next operator), resumed where their streams stood.
      await ring.stop();
      controller.stop();
      informers.stop();
      await http.close();
    },
  };
}
