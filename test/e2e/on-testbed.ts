// netgraph on the test bed, set up the same way for every e2e suite: netgraph's
// namespace, the operator's ServiceAccount, the suite's namespaces and Ready nodes
// (prepareTestbed); then one agent per node and the operator, built from this
// checkout, each waited for until it logs that it is ready (startNetgraph).
import {
  build,
  NETGRAPH_NS,
  OPERATOR_SA,
  type Proc,
  startAgent,
  startOperator,
} from './netgraph.js';
import { addNode, kubeconfigPath, kubectl, type NodeInfo } from './testbed.js';

export interface TestbedOptions {
  /** Namespaces created besides netgraph's (existing ones are fine). */
  namespaces?: string[];
  /** Nodes added, in this order. */
  nodes?: string[];
}

/** Builds the checkout, creates the namespaces and the operator's ServiceAccount, adds the nodes. */
export async function prepareTestbed(opts: TestbedOptions = {}): Promise<NodeInfo[]> {
  build();
  for (const ns of [NETGRAPH_NS, ...(opts.namespaces ?? [])])
    await kubectl(['create', 'namespace', ns]).catch(() => {});
  await kubectl(['create', 'serviceaccount', '-n', NETGRAPH_NS, OPERATOR_SA]).catch(() => {});
  const nodes: NodeInfo[] = [];
  for (const name of opts.nodes ?? []) nodes.push(await addNode(name));
  return nodes;
}

export interface NetgraphOptions {
  /** One agent on each (added by prepareTestbed first). */
  nodes?: string[];
  /** Kubeconfigs (default: the test bed's admin one). */
  operatorKubeconfig?: string;
  agentKubeconfig?: string;
  /** Added to each process's environment (e.g. NETGRAPH_LOG_LEVEL) and flags. */
  operatorEnv?: Record<string, string>;
  operatorArgs?: string[];
  agentEnv?: Record<string, string>;
  agentArgs?: string[];
  /** How long each may take to log 'agent ready' / 'operator started'. */
  readyTimeoutMs?: number;
}

export interface Agents {
  /** In the order of opts.nodes. */
  agents: Proc[];
  /** Stops every process started here. */
  stop(): Promise<void>;
}

export interface Netgraph extends Agents {
  operator: Proc;
}

/**
 * Starts the agents, then (unless `operator: false`) the operator, and waits until
 * each is ready; a process that exits first fails it with its stderr, and all are stopped.
 */
export function startNetgraph(opts: NetgraphOptions & { operator: false }): Promise<Agents>;
export function startNetgraph(opts?: NetgraphOptions & { operator?: true }): Promise<Netgraph>;
export async function startNetgraph(
  opts: NetgraphOptions & { operator?: boolean } = {},
): Promise<Agents | Netgraph> {
  const timeout = opts.readyTimeoutMs ?? 20_000;
  const agents = (opts.nodes ?? []).map((node) =>
    startAgent(node, opts.agentKubeconfig ?? kubeconfigPath(), opts.agentEnv, opts.agentArgs),
  );
  const operator =
    opts.operator === false
      ? undefined
      : startOperator(
          opts.operatorKubeconfig ?? kubeconfigPath(),
          opts.operatorEnv,
          opts.operatorArgs,
        );
  const stop = async () => {
    await Promise.all([operator?.stop(), ...agents.map((a) => a.stop())]);
  };
  try {
    await Promise.all(agents.map((a) => a.waitLine((l) => l.msg === 'agent ready', timeout)));
    await operator?.waitLine((l) => l.msg === 'operator started', timeout);
  } catch (err) {
    // The suite's afterAll has no handle on them yet.
    await stop();
    throw err;
  }
  return operator ? { operator, agents, stop } : { agents, stop };
}
