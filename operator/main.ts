// netgraph-operator: watches Traces and drives the node agents.
import { parseArgs } from 'node:util';
import { agentFromLease, isAlive } from '../api/agent.js';
import { parseDuration } from '../lib/duration.js';
import { HttpServer, parseListen } from '../lib/http-server.js';
import { Informers } from '../lib/informer.js';
import { Kube, loadKubeConfig, netgraphNamespace } from '../lib/kube.js';
import { logger } from '../lib/log.js';
import { terminated } from '../lib/terminated.js';
import { ClusterState } from './enrich/cluster-state.js';
import { Enricher } from './enrich/enricher.js';
import { GroupView, groupNames } from './enrich/group.js';
import { ReverseDns } from './enrich/reverse-dns.js';
import { GraphApi } from './graph/api.js';
import { HistoryStore } from './history/history.js';
import { liveWorkloads, podWorkload } from './metrics/cluster-workloads.js';
import { MetricsEndpoint } from './metrics/endpoint.js';
import {
  METRICS_FLAG_OPTIONS,
  METRICS_USAGE,
  type MetricsFlags,
  parseMetricsFlags,
} from './metrics/flags.js';
import { PolicyAdvisor } from './policy/advisor.js';
import { PolicyFacts } from './policy/cluster-facts.js';
import { registerPolicyApi } from './policy/http.js';
import { tokenFromFile, tokenFromRequest } from './trace/agent-token.js';
import { Controller } from './trace/controller.js';

const USAGE = `Usage: netgraph-operator [--kubeconfig PATH] [--namespace NS] [--service-account NAME]

Watches gadget.kinvolk.io/v1alpha1 Traces in every namespace and runs them on the
netgraph agents of the chosen nodes. Every new edge is one JSON log line.

  --kubeconfig PATH        default: $KUBECONFIG, ~/.kube/config, else in-cluster
  --namespace NS           where the agents' Leases live (default: the pod's namespace, or netgraph)
  --service-account NAME   the operator's ServiceAccount, whose token the agents accept
                           (default: netgraph-operator); in a cluster the token is read from
                           $NETGRAPH_AGENT_TOKEN_FILE when set
  --reverse-dns            name "other" remotes by reverse DNS (cached, never blocks the stream)
  --http-listen HOST:PORT  the read-only HTTP port: /healthz, /metrics, the graph page and its
                           API (default 0.0.0.0:9090)
  --history-window DURATION  how far back the graph page can look, in 10-second bins (default 1h)
${METRICS_USAGE}
Environment: NETGRAPH_LOG_LEVEL (info), NETGRAPH_NAMESPACE, NETGRAPH_SERVICE_ACCOUNT`;

export async function main(argv: string[]): Promise<number> {
  const log = logger('netgraph-operator');
  let args: ReturnType<typeof parse>;
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'service-account': { type: 'string' },
        'reverse-dns': { type: 'boolean' },
        'http-listen': { type: 'string', default: '0.0.0.0:9090' },
        'history-window': { type: 'string', default: '1h' },
        ...METRICS_FLAG_OPTIONS,
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`netgraph-operator: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let listen: ReturnType<typeof parseListen>;
  let historyMs: number;
  let metricsFlags: MetricsFlags;
  try {
    listen = parseListen(args.values['http-listen']);
    historyMs = parseDuration(args.values['history-window'], '--history-window');
    metricsFlags = parseMetricsFlags(args.values);
  } catch (err) {
    process.stderr.write(`netgraph-operator: ${(err as Error).message}\n`);
    return 2;
  }
  const namespace = args.values.namespace ?? netgraphNamespace();
  const serviceAccount =
    args.values['service-account'] ?? process.env.NETGRAPH_SERVICE_ACCOUNT ?? 'netgraph-operator';
  const kube = new Kube(loadKubeConfig(args.values.kubeconfig));
  const tokenFile = process.env.NETGRAPH_AGENT_TOKEN_FILE;
  const token = tokenFile
    ? tokenFromFile(tokenFile)
    : tokenFromRequest(kube, namespace, serviceAccount);

  // One watch per collection, shared: enrichment, policy facts and the controller
  // each subscribe to what they read.
  const informers = new Informers(kube, log);
  const state = new ClusterState();
  const policyFacts = new PolicyFacts(state);
  const cachesSynced = Promise.all([state.subscribe(informers), policyFacts.subscribe(informers)]);
  const enricher = new Enricher(state, args.values['reverse-dns'] ? new ReverseDns() : undefined);

  // The one store of a trace's edges: 10-second bins over --history-window for the graph
  // page, and the unique edges policy advice reads.
  const history = new HistoryStore({
    windowMs: historyMs,
    groupNames: (e, by) => groupNames(e, by, state),
  });
  const advisor = new PolicyAdvisor(kube, history, policyFacts);
  // Prometheus: the graph's series and the operator's own, on /metrics.
  const metrics = new MetricsEndpoint({
    ...metricsFlags,
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
    kube,
    namespace,
    log,
    edgeLog: log,
    token,
    enrich: (e) => enricher.enrich(e),
    view: (p) => new GroupView(p, state),
    observers: [history, ...metrics.observers],
    generate: (trace, running) => advisor.generate(trace, running),
    informers,
    synced: cachesSynced.then(() => {}),
  });
  const http = new HttpServer(log.child({ part: 'http' }));
  new GraphApi({ store: history, log: log.child({ part: 'graph' }) }).register(http);
  http.route('/metrics', metrics.handler);
  registerPolicyApi(http, advisor);
  await http.listen(listen);
  informers.start();
  await controller.start();
  metrics.start();
  await terminated();
  metrics.stop();
  // Running traces stay Started on the agents; the next operator resumes them.
  controller.stop();
  informers.stop();
  await http.close();
  log.info('operator stopped');
  return 0;
}
