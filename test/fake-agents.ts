// Fixtures for unit tests of the trace core and the replicas' ring against the
// in-memory apiserver (test/fake-kube.ts): Nodes, Traces, edges, and scripted agent
// sessions that record what a replica asked of each node's agent.
import { agentLease, agentLeasesPath, type StreamCursor } from '../api/agent.js';
import type { Edge } from '../api/edge.js';
import { OPERATION_ANNOTATION, TRACES_PATH, type Trace, type TraceSpec } from '../api/trace.js';
import { Informers } from '../lib/informer.js';
import { logger } from '../lib/log.js';
import { ClusterState } from '../operator/enrich/cluster-state.js';
import { GroupView } from '../operator/enrich/group.js';
import type {
  AgentAddress,
  Session,
  SessionEvents,
  SessionFactory,
} from '../operator/trace/agent-session.js';
import { Controller, type ControllerOptions } from '../operator/trace/controller.js';
import type { FakeKube } from './fake-kube.js';

export const NS = 'netgraph';
export const NODES = '/api/v1/nodes';
export const KEY = 'gadget/t';

export const node = (name: string, ready = true) => ({
  metadata: { name },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    addresses: [{ type: 'Hostname', address: name }],
  },
});
export const trace = (spec: TraceSpec, operation?: string, name = 't'): Trace => ({
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: {
    namespace: 'gadget',
    name,
    ...(operation && { annotations: { [OPERATION_ANNOTATION]: operation } }),
  },
  spec: { gadget: 'network-graph', ...spec },
});
export const edge = (port: number, connections = 1): Edge => ({
  type: 'normal',
  namespace: 'demo',
  pod: 'client',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.96.0.10',
  port,
  connections,
});

export class FakeSession implements Session {
  state: 'new' | 'started' | 'stopped' | 'closed' = 'new';
  constructor(
    readonly node: string,
    public agent: AgentAddress,
    readonly filter: unknown,
    readonly events: SessionEvents,
    private readonly refuse: boolean,
  ) {}
  async start(): Promise<void> {
    if (this.refuse) throw new Error(`agent on ${this.node} answered 503 to PUT`);
    this.state = 'started';
  }
  moveTo(agent: AgentAddress): void {
    this.agent = agent;
  }
  private position: StreamCursor = { epoch: '', after: 0 };
  cursor(): StreamCursor {
    return { ...this.position };
  }
  /** The agent sends frame `seq` of epoch e1: `edge`, first sent as frame `first`. */
  send(edge: Edge, seq: number, first = seq): void {
    this.position = { epoch: 'e1', after: seq };
    this.events.onEdge(this.node, edge, 'e1', first);
  }
  async stop(): Promise<void> {
    this.state = 'stopped';
  }
  close(): void {
    this.state = 'closed';
  }
}

export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const addAgent = (kube: FakeKube, n: string, endpoint = `https://${n}:9478`) =>
  kube.put(agentLeasesPath(NS), agentLease(NS, { node: n, endpoint, cert: 'PEM' }, new Date()));

/** One operator replica's controller on `kube`, its sessions scripted and its log kept. */
export function replica(kube: FakeKube, more: Partial<ControllerOptions> = {}) {
  const sessions: FakeSession[] = [];
  const refuse = new Set<string>();
  const factory: SessionFactory = (n, agent, _trace, command, events) => {
    const s = new FakeSession(n, agent, command.filter, events, refuse.has(n));
    sessions.push(s);
    return s;
  };
  const lines: Record<string, unknown>[] = [];
  const log = logger('test', 'debug', { write: (s: string) => lines.push(JSON.parse(s)) });
  const state = new ClusterState();
  const informers = new Informers(kube, log);
  const controller = new Controller({
    kube,
    informers,
    trustedNamespaces: new Set(['gadget', NS]),
    namespace: NS,
    log,
    edgeLog: log,
    token: async () => 'unused',
    sessions: factory,
    enrich: (e) => e,
    view: (p) => new GroupView(p, state),
    flushMs: 10,
    ...more,
  });
  const get = (key = KEY) => kube.object<Trace>(TRACES_PATH, key);
  const live = (n: string) => sessions.filter((s) => s.node === n && s.state === 'started');
  const start = () => {
    informers.start();
    return controller.start();
  };
  const stop = () => {
    controller.stop();
    informers.stop();
  };
  return { kube, informers, log, controller, start, stop, sessions, refuse, lines, get, live };
}
