// netgraph-operator: watches Traces and drives the node agents.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kube, loadKubeConfig } from '../lib/kube.js';
import { logger } from '../lib/log.js';
import { tokenFromFile, tokenFromRequest } from './agent-token.js';
import { Controller } from './controller.js';
import { PodView } from './edge-view.js';

const USAGE = `Usage: netgraph-operator [--kubeconfig PATH] [--namespace NS] [--service-account NAME]

Watches gadget.kinvolk.io/v1alpha1 Traces in every namespace and runs them on the
netgraph agents of the chosen nodes. Every new edge is one JSON log line.

  --kubeconfig PATH        default: $KUBECONFIG, ~/.kube/config, else in-cluster
  --namespace NS           where the agents' Leases live (default: the pod's namespace, or netgraph)
  --service-account NAME   the operator's ServiceAccount, whose token the agents accept
                           (default: netgraph-operator); in a cluster the token is read from
                           $NETGRAPH_AGENT_TOKEN_FILE when set
Environment: NETGRAPH_LOG_LEVEL (info), NETGRAPH_NAMESPACE, NETGRAPH_SERVICE_ACCOUNT`;

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function defaultNamespace(): string {
  if (process.env.NETGRAPH_NAMESPACE) return process.env.NETGRAPH_NAMESPACE;
  return existsSync(SA_NAMESPACE_FILE)
    ? readFileSync(SA_NAMESPACE_FILE, 'utf8').trim()
    : 'netgraph';
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
  const namespace = args.values.namespace ?? defaultNamespace();
  const serviceAccount =
    args.values['service-account'] ?? process.env.NETGRAPH_SERVICE_ACCOUNT ?? 'netgraph-operator';
  const kube = new Kube(loadKubeConfig(args.values.kubeconfig));
  const tokenFile = process.env.NETGRAPH_AGENT_TOKEN_FILE;
  const token = tokenFile
    ? tokenFromFile(tokenFile)
    : tokenFromRequest(kube, namespace, serviceAccount);

  const controller = new Controller({
    kube,
    namespace,
    log,
    edgeLog: log,
    token,
    enrich: (e) => e,
    view: (p) => new PodView(p),
  });
  await controller.start();
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve());
  });
  // Running traces stay Started on the agents; the next operator resumes them.
  controller.stop();
  log.info('operator stopped');
  return 0;
}
