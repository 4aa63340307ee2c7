// gadget/agent: the node agent of the operator, run by the DaemonSet (or by the test
// bed, one process per simulated node) as `netgraph-gadget agent`.
//
// The room: main.ts (flags, wiring), agent.ts (the traces started here, their pods
// and numbered edges), server.ts (the HTTPS API the operator calls), lease.ts (the
// Lease that announces this agent), tls.ts (its self-signed certificate) and
// token-review.ts (only the operator's ServiceAccount may command it). The protocol
// itself is in api/agent.ts; the eBPF side in gadget/dataplane/.
import { parseArgs } from 'node:util';
import { ATTACH_MODES, type AttachMode } from '../../api/trace.js';
import { parseDuration } from '../../lib/duration.js';
import { closeServer, HttpServer, listen, parseListen } from '../../lib/http-server.js';
import { Kube, loadKubeConfig, netgraphNamespace } from '../../lib/kube.js';
import { logger } from '../../lib/log.js';
import { Reflector } from '../../lib/reflector.js';
import { terminated } from '../../lib/terminated.js';
import { selfSignedIdentity } from '../../lib/tls.js';
import { probeOwners } from '../dataplane/connect-owners.js';
import { CriSandboxes } from '../dataplane/cri.js';
import { DEFAULT_MAX_EDGES, flowsFor } from '../dataplane/tracer-defaults.js';
import { Agent, type Pod } from './agent.js';
import { hostDataPlane } from './data-plane.js';
import { DEFAULT_DNS_GRACE_MS, DEFAULT_DNS_NAMES_PER_POD } from './dns-names.js';
import { agentHeldLease } from './lease.js';
import { AgentMetrics } from './metrics.js';
import { agentServer } from './server.js';
import { Authenticator } from './token-review.js';

// The agent's port (the chart's gadget.port): the default --listen, and its error's example.
const AGENT_PORT = 9478;
// Not the agent's default (off unless given): the chart's gadget.metrics.port, as an example.
const METRICS_LISTEN_EXAMPLE = '0.0.0.0:9479';

export const AGENT_USAGE = `Usage: netgraph-gadget agent --node NAME [options]

Runs the node agent: attaches to this node's pods when the operator starts a trace,
and streams their edges back to it.

  --node NAME                      this node (default: $NODE_NAME)
  --listen HOST:PORT               where the operator reaches the agent ([IPV6]:PORT; port 0
                                   picks a free one). Default: the node's address ($HOST_IP,
                                   the pod's status.hostIP), else every interface; port ${AGENT_PORT}
  --advertise HOST                 the address put in the Lease (default: $HOST_IP, else the
                                   listen host, else 127.0.0.1)
  --namespace NS                   the operator's namespace, where the Lease lives
                                   (default: $NETGRAPH_NAMESPACE, the pod's namespace, or netgraph)
  --operator-service-account NS/NAME
                                   the only identity allowed to command this agent
                                   (default: <namespace>/netgraph-operator)
  --interval DURATION              how often the maps are drained (default 1s)
  --max-edges N                    distinct edges the node keeps, every traced pod together
                                   (default ${DEFAULT_MAX_EDGES}): one set of BPF maps serves every pod
                                   and trace; 296 bytes of kernel memory each. A pod past its
                                   fair share (N / traced pods) gets new edges only while a
                                   quarter of the table is free; what it loses is counted
  --max-flows N                    connections the node remembers, least recently used evicted
                                   (default 4 x --max-edges): 112 bytes of kernel memory each
                                   (the defaults: 24 MB in all)
  --attach socket|tcx              how to attach to a pod when the Trace does not say
                                   (spec.parameters.attach): a socket filter inside it (default),
                                   or TCX on its host-side veth (kernel 6.6+; a pod without one
                                   gets the socket filter and the Trace a warning)
  --dns-names on|off               learn the names traced pods look up from the DNS answers
                                   they receive (UDP and TCP from port 53, any server), and put
                                   them on the pod's edges (remoteName, remoteNameSource dns);
                                   default on
  --dns-grace DURATION             a name is kept this long past its answer's TTL (default
                                   ${DEFAULT_DNS_GRACE_MS / 1000}s)
  --dns-names-per-pod N            addresses a pod's names are kept for, the oldest learned
                                   forgotten first (default ${DEFAULT_DNS_NAMES_PER_POD})
  --metrics-listen HOST:PORT       serve the agent's own metrics (GET /metrics, plain HTTP, no
                                   pod names or addresses) there; off unless given
  --runtime-endpoint PATH          the container runtime's CRI socket (containerd's:
                                   /run/containerd/containerd.sock), asked where each pod's
                                   sandbox is. Without it pods are found by their cgroups, which
                                   the kubelet names by pod UID (not with cgroupsPerQOS: false)
  --kubeconfig PATH                default: $KUBECONFIG, ~/.kube/config, else in-cluster`;

/** Runs until SIGTERM/SIGINT. Throws an Error with a one-line message on bad input. */
export async function runAgent(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      node: { type: 'string' },
      listen: { type: 'string' },
      advertise: { type: 'string' },
      namespace: { type: 'string' },
      'operator-service-account': { type: 'string' },
      interval: { type: 'string' },
      'max-edges': { type: 'string' },
      'max-flows': { type: 'string' },
      'metrics-listen': { type: 'string' },
      attach: { type: 'string' },
      'runtime-endpoint': { type: 'string' },
      'dns-names': { type: 'string' },
      'dns-grace': { type: 'string' },
      'dns-names-per-pod': { type: 'string' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${AGENT_USAGE}\n`);
    return 0;
  }
  const node = values.node ?? process.env.NODE_NAME;
  if (!node) throw new Error('--node (or $NODE_NAME) is required');
  const namespace = values.namespace ?? netgraphNamespace();
  const operator = values['operator-service-account'] ?? `${namespace}/netgraph-operator`;
  const [opNs, opName] = operator.split('/');
  if (!opNs || !opName)
    throw new Error(`--operator-service-account must be NAMESPACE/NAME, not "${operator}"`);
  // Only the node's address: not the other interfaces a hostNetwork pod sees.
  const { host, port } = parseListen(
    values.listen ?? `[${process.env.HOST_IP || '0.0.0.0'}]:${AGENT_PORT}`,
    '--listen',
    `0.0.0.0:${AGENT_PORT}`,
  );
  const intervalMs = parseDuration(values.interval ?? '1s', '--interval');
  const metricsListen =
    values['metrics-listen'] === undefined
      ? undefined
      : parseListen(values['metrics-listen'], '--metrics-listen', METRICS_LISTEN_EXAMPLE);

  const log = logger('netgraph-gadget').child({ node });
  const kube = new Kube(loadKubeConfig(values.kubeconfig));
  const maxEdges = Number(values['max-edges'] ?? DEFAULT_MAX_EDGES);
  const sizes = { maxEdges, maxFlows: Number(values['max-flows'] ?? flowsFor(maxEdges)) };
  for (const [flag, v] of [
    ['--max-edges', sizes.maxEdges],
    ['--max-flows', sizes.maxFlows],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1 << 24)
      throw new Error(`${flag} must be an integer 1..16777216`);
  }
  const dnsNames = values['dns-names'] ?? 'on';
  if (dnsNames !== 'on' && dnsNames !== 'off')
    throw new Error(`--dns-names must be on or off, not "${dnsNames}"`);
  const dns = {
    graceMs: parseDuration(values['dns-grace'] ?? `${DEFAULT_DNS_GRACE_MS}ms`, '--dns-grace'),
    maxPerPod: Number(values['dns-names-per-pod'] ?? DEFAULT_DNS_NAMES_PER_POD),
  };
  if (!Number.isInteger(dns.maxPerPod) || dns.maxPerPod < 1 || dns.maxPerPod > 1 << 20)
    throw new Error('--dns-names-per-pod must be an integer 1..1048576');
  // Tracers are opened once traces start, after `metrics` below exists.
  const criSocket = values['runtime-endpoint'];
  const runtime = criSocket ? new CriSandboxes(criSocket) : undefined;
  const dataPlane = hostDataPlane({
    ...sizes,
    dnsCapture: dnsNames === 'on',
    measure: (t) => metrics.measure(t),
    runtime,
  });
  const attach = values.attach ?? 'socket';
  if (!(ATTACH_MODES as readonly string[]).includes(attach))
    throw new Error(`--attach must be one of ${ATTACH_MODES.join(', ')}, not "${attach}"`);
  const agent = new Agent(node, dataPlane, log, intervalMs, attach as AttachMode, dns);
  const noOwners = probeOwners();
  if (noOwners) log.warn({ reason: noOwners }, 'edges will carry no pid and comm');
  const metrics = new AgentMetrics(agent, sizes.maxEdges);
  const pods = new Reflector<Pod>(
    kube,
    { path: '/api/v1/pods', query: { fieldSelector: `spec.nodeName=${node}` } },
    {
      onReset: (items) => agent.onPodsReset(items),
      onEvent: (type, pod) =>
        type === 'DELETED'
          ? agent.onPodDeleted(`${pod.metadata.namespace}/${pod.metadata.name}`)
          : agent.onPod(pod),
    },
    log,
  );
  await pods.start();

  const advertise =
    values.advertise ??
    process.env.HOST_IP ??
    (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const tls = selfSignedIdentity([advertise]);
  const auth = new Authenticator(kube, `system:serviceaccount:${opNs}:${opName}`);
  const server = agentServer({ agent, authenticate: (h, from) => auth.check(h, from), log, tls });
  const addr = await listen(server, { host, port });
  const endpoint = `https://${advertise.includes(':') ? `[${advertise}]` : advertise}:${addr.port}`;
  const lease = agentHeldLease(kube, namespace, { node, endpoint, cert: tls.cert }, log);
  await lease.start();
  const metricsServer = metricsListen && new HttpServer(log.child({ part: 'metrics' }));
  if (metricsServer) {
    metricsServer.route('/metrics', metrics.handler);
    const bound = await metricsServer.listen(metricsListen);
    log.info(bound, 'metrics listening');
  }
  log.info({ endpoint, namespace, operator }, 'agent ready');

  await terminated();
  await lease.stop();
  pods.stop();
  agent.close();
  runtime?.close();
  await closeServer(server);
  await metricsServer?.close();
  log.info('agent stopped');
  return 0;
}
