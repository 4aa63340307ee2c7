// The operator's controller: keeps Traces, Nodes and agent Leases in view,
// carries out what decide() says, and keeps each running trace on the right nodes.
import {
  AGENT_LEASE_LABEL,
  type AgentInfo,
  agentFromLease,
  agentLeaseName,
  agentLeasesPath,
  endpointHost,
  isAlive,
  type Lease,
} from '../../api/agent.js';
import type { Edge } from '../../api/edge.js';
import {
  FINALIZER,
  OPERATION_ANNOTATION,
  TRACES_PATH,
  type Trace,
  type TraceParameters,
  type TraceSpec,
  type TraceStatus,
  traceObjectPath,
} from '../../api/trace.js';
import type { Informers } from '../../lib/informer.js';
import {
  isInvalid,
  type JsonPatchOp,
  type KubeClient,
  namespacedName,
  pointer,
} from '../../lib/kube.js';
import type { Node } from '../../lib/kube-objects.js';
import type { Logger } from '../../lib/log.js';
import { Store } from '../../lib/reflector.js';
import { DoNotRetry, WorkQueue } from '../../lib/work-queue.js';
import { agentSessions, type SessionFactory } from './agent-session.js';
import type { TokenSource } from './agent-token.js';
import { mergedStatus, traceConditions } from './conditions.js';
import { decide } from './decide.js';
import type { EdgeObserver } from './edge-observer.js';
import type { EdgeView } from './edge-view.js';
import { TraceRun } from './trace-run.js';

export interface ControllerOptions {
  kube: KubeClient;
  /** Where the agents' Leases live: the operator's namespace. */
  namespace: string;
  log: Logger;
  edgeLog: Logger;
  token: TokenSource;
  /** Opens the links to agents; default: HTTPS sessions showing `token`. */
  sessions?: SessionFactory;
  enrich(edge: Edge): Edge;
  view(parameters: TraceParameters): EdgeView;
  /** Namespaces whose Traces may trace any namespace (namespace-scope.ts). */
  trustedNamespaces: ReadonlySet<string>;
  /** The process's shared watches: the controller subscribes to Traces, Nodes and Leases. */
  informers: Informers;
  /** What else must be in sync before traces are handled (the enrichment caches). */
  synced?: Promise<void>;
  flushMs?: number;
  /** Told of every trace's edges, start, stop and deletion (metrics, history, policy advice). */
  observers?: readonly EdgeObserver[];
  /** The `generate` operation: NetworkPolicies from the trace's edges; returns status fields. */
  generate?(trace: Trace, running: boolean): Promise<Partial<Record<keyof TraceStatus, unknown>>>;
}

const isReady = (n: Node) =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export class Controller {
  readonly traces = new Store<Trace>((key) => {
    if (this.ready) this.queue.add(key);
  });
  readonly nodes = new Store<Node>(() => this.syncAll());
  readonly leases = new Store<Lease>(() => this.syncAll());
  readonly runs = new Map<string, TraceRun>();
  private readonly queue: WorkQueue;
  private readonly synced: Promise<unknown>;
  /** Traces are handled only once nodes, agents and caches are known. */
  private ready = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: ControllerOptions) {
    this.queue = new WorkQueue((key) => this.reconcile(key), o.log, {
      name: 'reconcile',
      keyField: 'trace',
    });
    const { informers, namespace } = o;
    this.synced = Promise.all([
      informers.subscribe('/api/v1/nodes', this.nodes).synced,
      informers.subscribe(agentLeasesPath(namespace), this.leases, {
        labelSelector: AGENT_LEASE_LABEL,
      }).synced,
      informers.subscribe(TRACES_PATH, this.traces).synced,
      o.synced,
    ]);
  }

  /** Resolves once every watch it needs has synced and the traces are being handled. */
  async start(): Promise<void> {
    await this.synced;
    this.ready = true;
    for (const key of this.traces.items.keys()) this.queue.add(key);
    // Leases expire by time, not by events.
    this.timer = setInterval(() => this.syncAll(), 2000);
    this.o.log.info({ namespace: this.o.namespace }, 'operator started');
  }

  stop(): void {
    clearInterval(this.timer);
    this.queue.shutdown();
    for (const run of this.runs.values()) run.close();
  }

  /**
   * The node's live agent, or why none is used. An agent may write only its own node's
   * Lease (the chart's admission policy), and its endpoint must be on that node too: a
   * Lease naming another host is refused, so no agent can draw the operator's token and
   * a trace's edges elsewhere.
   */
  private agent(node: string): AgentInfo | string {
    const lease = this.leases.items.get(`${this.o.namespace}/${agentLeaseName(node)}`);
    const agent = lease && agentFromLease(lease);
    if (agent?.node !== node || !isAlive(agent)) return `no live netgraph agent on node ${node}`;
    const host = endpointHost(agent.endpoint);
    const addresses = this.nodes.items.get(`/${node}`)?.status?.addresses ?? [];
    if (!addresses.some((a) => a.address === host))
      return `the agent Lease of node ${node} names endpoint host ${host}, not one of the node's addresses: refused`;
    return agent;
  }

  private wantedNodes(spec: TraceSpec): string[] {
    if (spec.node) return [spec.node];
    return [...this.nodes.items.values()].filter(isReady).map((n) => n.metadata?.name ?? '');
  }

  /** Puts a running trace on the nodes it should be on, with their live agents. */
  private async sync(run: TraceRun): Promise<void> {
    const wanted = new Set(this.wantedNodes(run.spec));
    await Promise.all(
      [...wanted].map(async (node) => {
        const agent = this.agent(node);
        if (typeof agent !== 'string') await run.attach(node, agent);
        else if (run.hasNode(node) || run.nodes.get(node)?.reason !== agent) {
          run.detach(node, 'AgentMissing', agent);
        }
      }),
    );
    for (const node of run.nodes.keys()) {
      if (!wanted.has(node) && run.hasNode(node))
        run.detach(node, 'Stopped', 'node is gone or not Ready');
    }
  }

  private syncAll(): void {
    for (const run of this.runs.values()) {
      void this.sync(run).catch((err) => this.o.log.warn({ trace: run.key, err }, 'sync failed'));
    }
  }

  private async reconcile(key: string): Promise<void> {
    const trace = this.traces.items.get(key);
    const run = this.runs.get(key);
    if (!trace) {
      // Deleted without our finalizer (it was removed by hand): still stop the agents.
      await this.stopRun(key);
      for (const o of this.o.observers ?? []) o.ended?.(key, 'deleted');
      return;
    }
    const { namespace, name } = trace.metadata;
    const { decision, operation } = decide(trace, {
      running: run !== undefined,
      trusted: this.o.trustedNamespaces,
    });
    const now = new Date().toISOString();
    let status: Partial<Record<keyof TraceStatus, unknown>>;
    switch (decision.kind) {
      case 'none':
        return;
      case 'addFinalizer': {
        const ops: JsonPatchOp[] = trace.metadata.finalizers
          ? [{ op: 'add', path: '/metadata/finalizers/-', value: FINALIZER }]
          : [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }];
        await this.patchTrace(trace, ops);
        return;
      }
      case 'finalize': {
        await this.stopRun(key);
        for (const o of this.o.observers ?? []) o.ended?.(key, 'deleted');
        const i = trace.metadata.finalizers?.indexOf(FINALIZER) ?? -1;
        if (i >= 0)
          await this.patchTrace(trace, [{ op: 'remove', path: `/metadata/finalizers/${i}` }]);
        return;
      }
      case 'error':
        status = { operationError: decision.error };
        break;
      case 'start':
      case 'resume': {
        if (decision.spec.node && !this.nodes.items.has(`/${decision.spec.node}`)) {
          status = { operationError: `Node ${JSON.stringify(decision.spec.node)} not found` };
          break;
        }
        // start on a running trace starts it afresh, with the spec as it is now.
        await this.stopRun(key);
        const r: TraceRun = new TraceRun(key, decision.spec, decision.parameters, {
          edgeLog: this.o.edgeLog,
          log: this.o.log,
          sessions: this.o.sessions ?? agentSessions(this.o.token),
          enrich: this.o.enrich,
          view: this.o.view,
          flushMs: this.o.flushMs,
          observers: this.o.observers,
          patchStatus: async (s) => {
            if (this.runs.get(key) === r) await this.patchStatus(namespace, name, s);
          },
        });
        this.runs.set(key, r);
        await this.sync(r);
        status =
          decision.kind === 'start'
            ? {
                ...r.status(),
                state: 'Started',
                operationError: null,
                startedAt: now,
                stoppedAt: null,
              }
            : r.status();
        this.o.log.info(
          { trace: key, nodes: Object.fromEntries(r.nodes) },
          `trace ${decision.kind === 'start' ? 'started' : 'resumed'}`,
        );
        break;
      }
      case 'stop': {
        const final = await this.stopRun(key);
        status = { ...final, state: 'Stopped', operationError: null, stoppedAt: now };
        this.o.log.info({ trace: key }, 'trace stopped');
        break;
      }
      case 'generate':
        status = this.o.generate
          ? await this.o.generate(trace, run !== undefined)
          : { operationError: 'NetworkPolicy advice is not enabled in this operator' };
        break;
    }
    const updated = await this.patchStatus(namespace, name, status);
    if (operation !== undefined) {
      // Remove the annotation only if it still holds the operation just handled.
      const path = `/metadata/annotations/${pointer(OPERATION_ANNOTATION)}`;
      await this.patchTrace(
        updated,
        [
          { op: 'test', path, value: operation },
          { op: 'remove', path },
        ],
        false,
      ).catch((err) => this.o.log.debug({ trace: key, err }, 'annotation changed meanwhile'));
    }
  }

  private async stopRun(key: string): Promise<Partial<Record<keyof TraceStatus, unknown>>> {
    const run = this.runs.get(key);
    if (!run) return {};
    this.runs.delete(key);
    await run.stop();
    return run.status();
  }

  private async patchStatus(
    namespace: string,
    name: string,
    status: Partial<Record<keyof TraceStatus, unknown>>,
  ): Promise<Trace> {
    // Every write carries the conditions the status will then imply.
    const current = this.traces.items.get(`${namespace}/${name}`);
    const conditions = traceConditions(
      mergedStatus(current?.status, status),
      current?.status?.conditions,
      new Date().toISOString(),
      current?.metadata.generation,
    );
    const t = await this.o.kube
      .mergePatch<Trace>(`${traceObjectPath(namespace, name)}/status`, {
        status: { ...status, conditions },
      })
      .catch((err) => {
        // The API refuses this status as invalid: writing it again cannot help.
        if (isInvalid(err)) throw new DoNotRetry(`status refused: ${err.message}`, { cause: err });
        throw err;
      });
    this.traces.set(namespacedName(t), t);
    return t;
  }

  /** A JSON patch of the Trace, by default only if nobody changed it since `trace` was read. */
  private async patchTrace(trace: Trace, ops: JsonPatchOp[], sameVersion = true): Promise<void> {
    const { namespace, name, resourceVersion } = trace.metadata;
    const guard: JsonPatchOp[] = sameVersion
      ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }]
      : [];
    const t = await this.o.kube.jsonPatch<Trace>(traceObjectPath(namespace, name), [
      ...guard,
      ...ops,
    ]);
    this.traces.set(namespacedName(t), t);
  }
}
