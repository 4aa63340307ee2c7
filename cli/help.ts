// What `kubectl netgraph --help` and `kubectl netgraph COMMAND --help` print.
import type { Command } from './args.js';

const KUBE_FLAGS = `      --kubeconfig PATH   the kubeconfig (default: $KUBECONFIG, ~/.kube/config)
      --context NAME      the kubeconfig context (default: its current one)`;

const OPERATOR_FLAGS = `      --operator URL      the operator's port, e.g. https://netgraph.example:9090 (default:
                          a port-forward, through the API server, to the pod of the
                          Service labelled app.kubernetes.io/part-of=netgraph,
                          app.kubernetes.io/component=operator)
      --operator-namespace NS   where that Service is (default: looked for in every namespace)
      --operator-ca PATH  with an https --operator URL: the PEM certificate to trust (default:
                          the system's CAs)`;

const OPERATE = (
  op: string,
  what: string,
) => `Usage: kubectl netgraph ${op} NAME [-n NS] [--timeout DURATION]

${what}: annotates the Trace with gadget.kinvolk.io/operation=${op}, waits until the
operator has handled it (it removes the annotation) and prints the result. When the
operator refuses the operation, prints status.operationError and exits 1.

  -n, --namespace NS      the Trace's namespace (default: the context's, else default)
      --timeout DURATION  how long to wait for the operator (default 60s)
${KUBE_FLAGS}`;

export const HELP: Record<Command, string> = {
  help: `kubectl netgraph: run netgraph's Traces and watch who talks to whom.

Usage: kubectl netgraph COMMAND [flags]

Commands:
  start NAME      start a Trace and wait until it runs
  stop NAME       stop a Trace and print what it saw
  generate NAME   write NetworkPolicies from the Trace's edges
  get [NAME]      list Traces and what each node does for them
  observe NAME    print the Trace's edges as they come
  ui [NAME]       serve the graph page on 127.0.0.1 through your credentials
  version         print the plugin's version

Each command takes --help. Exit codes: 0 done, 1 failed, 2 bad usage.`,
  start: OPERATE('start', 'Starts the Trace (afresh if it runs)'),
  stop: OPERATE('stop', 'Stops the Trace'),
  generate: OPERATE(
    'generate',
    'Turns the edges of a Trace that ran into NetworkPolicies (status.output or a ConfigMap)',
  ),
  get: `Usage: kubectl netgraph get [NAME] [-n NS | -A] [-o table|json]

Lists Traces with their state and edge count, one line for each node that runs them
(status.nodes: the node's state, its traced pods, and why it is not as asked).

  -n, --namespace NS      the namespace (default: the context's, else default)
  -A, --all-namespaces    every namespace
  -o, --output FORMAT     table (default) or json (the Trace objects)
${KUBE_FLAGS}`,
  observe: `Usage: kubectl netgraph observe NAME [-n NS] [-o table|json] [--since DURATION]

Prints the Trace's edges as the operator sees them, one a line: first those it
holds already, then each new one, until the Trace stops (or Ctrl-C). An edge
appears once, when first seen; its counters grow on the graph page.

  -n, --namespace NS      the Trace's namespace (default: the context's, else default)
  -o, --output FORMAT     table (default) or json (one JSON object a line, the
                          fields of the operator's log)
      --since DURATION    only edges first seen this long ago or later, like 30s, 5m, 1h
${OPERATOR_FLAGS}
${KUBE_FLAGS}`,
  ui: `Usage: kubectl netgraph ui [NAME] [-n NS] [--port PORT] [--open]

Serves the operator's graph page on http://127.0.0.1:PORT, forwarding each
request to the operator with your kubeconfig's credentials (bearer token or
client certificate), and prints the page's address. Runs until Ctrl-C.
Only this machine can use it: the proxy listens on 127.0.0.1 and answers only
requests addressed to 127.0.0.1 or localhost.

  NAME                    open the page on this Trace
  -n, --namespace NS      the Trace's namespace (default: the context's, else default)
      --port PORT         the local port (default: a free one)
      --open              also open the page in a browser (xdg-open, open)
${OPERATOR_FLAGS}
${KUBE_FLAGS}`,
  version: `Usage: kubectl netgraph version

Prints the plugin's version and the Node.js it runs on.`,
};
