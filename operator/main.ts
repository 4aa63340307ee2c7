// netgraph-operator: watches Traces and drives the node agents.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseDuration } from '../lib/duration.js';
import { parseListen } from '../lib/http-server.js';
import { Kube, loadKubeConfig, netgraphNamespace } from '../lib/kube.js';
import { logger } from '../lib/log.js';
import { terminated } from '../lib/terminated.js';
import { assemble } from './assemble.js';
import {
  PROMETHEUS_FLAG_OPTIONS,
  PROMETHEUS_USAGE,
  parsePrometheusFlags,
} from './history/prometheus-flags.js';
import {
  METRICS_FLAG_OPTIONS,
  METRICS_USAGE,
  type MetricsFlags,
  parseMetricsFlags,
} from './metrics/flags.js';

// The default --http-listen, and the example its error gives.
const HTTP_LISTEN = '0.0.0.0:9090';

const USAGE = `Usage: netgraph-operator [--kubeconfig PATH] [--namespace NS] [--service-account NAME]

Watches gadget.kinvolk.io/v1alpha1 Traces in every namespace and runs them on the
netgraph agents of the chosen nodes. Every new edge is one JSON log line.

  --kubeconfig PATH        default: $KUBECONFIG, ~/.kube/config, else in-cluster
  --namespace NS           where the agents' Leases live (default: the pod's namespace, or netgraph)
  --service-account NAME   the operator's ServiceAccount, whose token the agents accept
                           (default: netgraph-operator); in a cluster the token is read from
                           $NETGRAPH_AGENT_TOKEN_FILE when set
  --reverse-dns            name "other" remotes by reverse DNS (cached, never blocks the stream)
  --http-listen HOST:PORT  the read-only HTTPS port: /healthz and /readyz (open), /metrics,
                           the graph page and its API (a Kubernetes identity with the right:
                           see the README's Security) (default ${HTTP_LISTEN})
  --history-window DURATION  how far back the graph page can look, in 10-second bins (default 1h)
  --trusted-namespaces NS,...  namespaces whose Traces may trace any namespace; a Trace
                           elsewhere traces only its own (default: --namespace and gadget)
  --tls-cert-file PATH, --tls-key-file PATH  the HTTPS port's certificate (e.g. a
                           cert-manager Secret); default: self-signed at start
  --tls-ca-file PATH       what clients pin, with --tls-cert-file (default: the certificate)
  --tls-san NAME,...       more names for the self-signed certificate (the Service's)
  --replica-id NAME        this replica's id among the operator's replicas (default: the pod's
                           name from $NETGRAPH_POD_NAME, else the host name)
  --advertise-url URL      where the other replicas reach this one's port (default: https on
                           $NETGRAPH_POD_IP and the --http-listen port; none outside a pod)
  --cert-configmap NAME    the ConfigMap in --namespace where the port's certificate is
                           published for clients to pin, key ca.crt (default: netgraph-operator-cert)
${METRICS_USAGE}
${PROMETHEUS_USAGE}
Environment: NETGRAPH_LOG_LEVEL (info), NETGRAPH_NAMESPACE, NETGRAPH_SERVICE_ACCOUNT`;

/** The pod's address and the port's: what peers reach in a cluster. */
function advertised(port: number): string {
  const ip = process.env.NETGRAPH_POD_IP;
  if (!ip) return '';
  return `https://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

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
        'http-listen': { type: 'string', default: HTTP_LISTEN },
        'history-window': { type: 'string', default: '1h' },
        'trusted-namespaces': { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-key-file': { type: 'string' },
        'tls-ca-file': { type: 'string' },
        'tls-san': { type: 'string' },
        'cert-configmap': { type: 'string', default: 'netgraph-operator-cert' },
        'replica-id': { type: 'string' },
        'advertise-url': { type: 'string' },
        ...METRICS_FLAG_OPTIONS,
        ...PROMETHEUS_FLAG_OPTIONS,
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
  let prometheus: ReturnType<typeof parsePrometheusFlags>;
  try {
    listen = parseListen(args.values['http-listen'], '--http-listen', HTTP_LISTEN);
    historyMs = parseDuration(args.values['history-window'], '--history-window');
    metricsFlags = parseMetricsFlags(args.values);
    prometheus = parsePrometheusFlags(args.values);
  } catch (err) {
    process.stderr.write(`netgraph-operator: ${(err as Error).message}\n`);
    return 2;
  }
  const namespace = args.values.namespace ?? netgraphNamespace();
  const list = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const operator = await assemble({
    log,
    kube: new Kube(loadKubeConfig(args.values.kubeconfig)),
    namespace,
    serviceAccount:
      args.values['service-account'] ?? process.env.NETGRAPH_SERVICE_ACCOUNT ?? 'netgraph-operator',
    agentTokenFile: process.env.NETGRAPH_AGENT_TOKEN_FILE,
    reverseDns: args.values['reverse-dns'] ?? false,
    listen,
    historyMs,
    metrics: metricsFlags,
    trustedNamespaces: new Set(
      args.values['trusted-namespaces'] === undefined
        ? [namespace, 'gadget']
        : list(args.values['trusted-namespaces']),
    ),
    tls: {
      certFile: args.values['tls-cert-file'],
      keyFile: args.values['tls-key-file'],
      caFile: args.values['tls-ca-file'],
      sans: list(args.values['tls-san']),
    },
    certConfigMap: args.values['cert-configmap'],
    ...(prometheus && { prometheus }),
    replicaId:
      args.values['replica-id'] ?? process.env.NETGRAPH_POD_NAME ?? hostname().toLowerCase(),
    advertiseUrl: args.values['advertise-url'] ?? advertised(listen.port),
  });
  await terminated();
  await operator.stop();
  log.info('operator stopped');
  return 0;
}
