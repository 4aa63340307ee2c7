// The operator's controller: keeps Traces, Nodes and agent Leases in view,
// carries out what decide() says, and keeps each running trace on the right nodes.
// With replicas, each runs a started Trace on the nodes it owns (writing their status
// entries by server-side apply, a field manager per replica), and one of them, the
// Trace's leader, carries out its operations and writes the rest of its status.
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
  GROUP,
  KIND,
  type NodeStatus,
  OPERATION_ANNOTATION,
  TRACES_PATH,
  type Trace,
  type TraceParameters,
  type TraceSpec,
  type TraceStatus,
  traceObjectPath,
  VERSION,
} from '../../api/trace.js';
import type { Informers } from '../../lib/informer.js';
import {
  isConflict,
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
import { decide, runnable } from './decide.js';
import type { EdgeObserver } from './edge-observer.js';
import type { EdgeView } from './edge-view.js';
import { traceSummary } from './summary.js';
import { TraceRun } from './trace-run.js';

/** Who does what among the operator's replicas (operator/ring); one replica does all. */
export interface Ownership {
  /** This replica follows the node's agent now. */
  ownsNode(node: string): boolean;
  /** The node stays this replica's in the view being settled: it need not let it go. */
  keepsNode(node: string): boolean;
  /** This replica carries out the Trace's operations and writes its summary. */
  leadsTrace(key: string): boolean;
}

export const SOLE_REPLICA: Ownership = {
  ownsNode: () => true,
  keepsNode: () => true,
  leadsTrace: () => true,
};

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
  /**
   * How long a stop waits for the other replicas to stop their nodes (each writes its
   * nodes' entries `Stopped` once it logged their totals) before it is marked done anyway
   * (default 2 min: a replica gone meanwhile never writes them, and one stopping 500
   * agents on a busy 2-core machine took 50 s).
   */
  stopWaitMs?: number;
  /** Told of every trace's edges, start, stop and deletion (metrics, history, policy advice). */
  observers?: readonly EdgeObserver[];
  /** The `generate` operation: NetworkPolicies from the trace's edges; returns status fields. */
  generate?(trace: Trace, running: boolean): Promise<Partial<Record<keyof TraceStatus, unknown>>>;
  /** Who does what among the replicas (default: this one does all). */
  ownership?: Ownership;
  /** This replica's id: its field manager for its nodes' status entries, told to agents. */
  replicaId?: string;
  /**
   * Every node's edges of a trace as its view shows them, given this replica's nodes'
   * edges (asked only when needed); undefined when this replica's own view is the whole
   * (no peers). With replicas, the leader's summary covers the others' nodes too.
   * `fresh`: not from a recent answer.
   */
  gather?(
    trace: string,
    parameters: TraceParameters,
    own: () => Edge[],
    fresh: boolean,
  ): Promise<Edge[] | undefined>;
}

const isReady = (n: Node) =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** How long a stopped run's edges are kept for the leader's final summary (past its wait). */
const STOPPED_KEPT_MS = 300_000;

/** Whether a node's entry still says Started: its replica has not stopped it yet. */
const someStarted = (t: Trace | undefined): boolean =>
  Object.values(t?.status?.nodes ?? {}).some((s) => s.state === 'Started');

export class Controller {
  readonly traces = new Store<Trace>((key) => {
    if (this.ready) this.queue.add(key);
  });
  // Agents renew their Leases every few seconds: on a large cluster that is hundreds of
  // events a second, so their syncs are coalesced.
  readonly nodes = new Store<Node>(() => this.scheduleSync());
  readonly leases = new Store<Lease>(() => this.scheduleSync());
  readonly runs = new Map<string, TraceRun>();
  /** Runs just stopped, their edges kept a while for the stop's final summary. */
  private readonly stopped = new Map<string, TraceRun>();
  private readonly queue: WorkQueue;
  private readonly synced: Promise<unknown>;
  /** Traces are handled only once nodes, agents and caches are known. */
  private ready = false;
  private timer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  /** Runs being synced, and whether another sync was asked for meanwhile. */
  private readonly syncing = new Map<TraceRun, { again: boolean }>();
  /** Recent reads of a trace's stream cursors, shared by the syncs that take its nodes. */
  private readonly cursorReads = new Map<
    string,
    { at: number; read: Promise<Record<string, NodeStatus['cursor']>> }
  >();
  private readonly owns: Ownership;

  constructor(private readonly o: ControllerOptions) {
    this.owns = o.ownership ?? SOLE_REPLICA;
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
    // Leases expire by time, not by events. A leader's summary also covers its peers'
    // nodes, whose edges do not wake its run: it is written again every 10 s. A stop that
    // waits for other replicas ends by time too.
    let tick = 0;
    this.timer = setInterval(() => {
      this.syncAll();
      if (this.o.gather && ++tick % 5 === 0)
        for (const run of this.runs.values()) if (this.owns.leadsTrace(run.key)) void run.flush();
      for (const [key, t] of this.traces.items)
        if (t.status?.pendingOperation?.operation === 'stop' && t.status.state === 'Stopped')
          this.queue.add(key);
    }, 2000);
    this.o.log.info({ namespace: this.o.namespace }, 'operator started');
  }

  /** A trace's edges on this replica's nodes, running or just stopped, each with its node. */
  nodeEdges(key: string): Edge[] | undefined {
    return (this.runs.get(key) ?? this.stopped.get(key))?.nodeEdges();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.syncTimer);
    this.queue.shutdown();
    for (const run of this.runs.values()) run.close();
  }

  /**
   * The ring moved to a view where some held nodes are another replica's: let them go,
   * and record where their streams stood before the ring says this replica settled.
   */
  async release(): Promise<void> {
    await Promise.all(
      [...this.runs.values()].map(async (run) => {
        const gone = run.heldNodes().filter((n) => !this.owns.keepsNode(n));
        if (gone.length === 0) return;
        run.release(gone);
        this.o.log.info({ trace: run.key, nodes: gone }, 'nodes handed over');
        await run.flush();
      }),
    );
  }

  /** What this replica owns or leads may have changed. */
  changed(): void {
    // Nodes handed over since a read have new cursors.
    this.cursorReads.clear();
    if (!this.ready) return;
    for (const key of this.traces.items.keys()) this.queue.add(key);
    this.syncAll();
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

  /** Puts a running trace on the nodes it should be on that this replica owns. */
  private async sync(run: TraceRun): Promise<void> {
    const wanted = new Set(this.wantedNodes(run.spec));
    const mine = new Map(
      [...wanted].filter((n) => this.owns.ownsNode(n)).map((n) => [n, this.agent(n)]),
    );
    const taking = [...mine].some(([n, agent]) => typeof agent !== 'string' && !run.hasNode(n));
    // Where each node's stream was read up to, as its last holder recorded it.
    const cursors = taking ? await this.cursors(run.key) : {};
    await Promise.all(
      [...mine].map(async ([node, agent]) => {
        if (typeof agent !== 'string') await run.attach(node, agent, cursors[node]);
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

  /**
   * The nodes' stream cursors in the Trace's status, read fresh (a holder just wrote them,
   * maybe after our watch last saw it), at most every few seconds a trace while the ring
   * stays as it is: a node whose agent keeps refusing is tried again at every sync.
   */
  private cursors(key: string): Promise<Record<string, NodeStatus['cursor']>> {
    const recent = this.cursorReads.get(key);
    if (recent && Date.now() - recent.at < 5000) return recent.read;
    const [namespace = '', name = ''] = key.split('/');
    const read = this.o.kube
      .get<Trace>(traceObjectPath(namespace, name))
      .catch(() => undefined)
      .then((t) =>
        Object.fromEntries(Object.entries(t?.status?.nodes ?? {}).map(([n, s]) => [n, s.cursor])),
      );
    this.cursorReads.set(key, { at: Date.now(), read });
    return read;
  }

  private scheduleSync(): void {
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      this.syncAll();
    }, 100);
  }

  /** Syncs every run, one sync of a run at a time (one asked for meanwhile runs after). */
  private syncAll(): void {
    for (const run of this.runs.values()) this.syncRun(run);
  }

  private syncRun(run: TraceRun): void {
    const busy = this.syncing.get(run);
    if (busy) {
      busy.again = true;
      return;
    }
    const state = { again: false };
    this.syncing.set(run, state);
    void this.sync(run)
      .catch((err) => this.o.log.warn({ trace: run.key, err }, 'sync failed'))
      .finally(() => {
        this.syncing.delete(run);
        if (state.again && this.runs.get(run.key) === run) this.syncRun(run);
      });
  }

  private async reconcile(key: string): Promise<void> {
    await this.runHere(key);
    const trace = this.traces.items.get(key);
    if (trace && this.owns.leadsTrace(key)) await this.lead(key, trace);
  }

  /**
   * Every replica's part: run a started Trace on the nodes it owns, from the start its
   * status records (a new startedAt starts a new run), and stop when it is no longer started.
   */
  private async runHere(key: string): Promise<void> {
    const trace = this.traces.items.get(key);
    const run = this.runs.get(key);
    const started =
      trace && !trace.metadata.deletionTimestamp && trace.status?.state === 'Started'
        ? runnable(trace, this.o.trustedNamespaces)
        : undefined;
    if (!started || !trace) {
      if (run) {
        await this.stopRun(key);
        this.o.log.info({ trace: key }, 'trace stopped');
      }
      if (!trace) {
        this.stopped.delete(key);
        for (const o of this.o.observers ?? []) o.ended?.(key, 'deleted');
      }
      return;
    }
    const startedAt = trace.status?.startedAt ?? '';
    if (run?.startedAt === startedAt) return;
    // A new start of a running trace starts it afresh, with the spec as it is now.
    if (run) await this.stopRun(key);
    this.stopped.delete(key);
    const r: TraceRun = new TraceRun(key, started.spec, started.parameters, startedAt, {
      edgeLog: this.o.edgeLog,
      log: this.o.log,
      sessions: this.o.sessions ?? agentSessions(this.o.token, this.o.replicaId),
      enrich: this.o.enrich,
      view: this.o.view,
      flushMs: this.o.flushMs,
      observers: this.o.observers,
      // A run replaced by a newer start of the trace writes no more.
      writeStatus: async (w) => {
        const current = this.runs.get(key);
        if (current === undefined || current === w) await this.writeStatus(trace, w);
      },
    });
    this.runs.set(key, r);
    await this.sync(r);
    this.o.log.info(
      { trace: key, nodes: Object.fromEntries(r.nodes) },
      run ? 'trace started afresh' : 'trace running',
    );
  }

  /** The leader's part: operations, the finalizer, state and the summary. */
  private async lead(key: string, observed: Trace): Promise<void> {
    const trace = await this.accept(observed);
    if (!trace) return;
    const run = this.runs.get(key);
    const { namespace, name } = trace.metadata;
    const { decision, operation } = decide(trace, {
      running: run !== undefined,
      trusted: this.o.trustedNamespaces,
    });
    const now = trace.status?.pendingOperation?.at ?? new Date().toISOString();
    let status: Partial<Record<keyof TraceStatus, unknown>>;
    switch (decision.kind) {
      // Resuming a started trace is every replica's part (runHere).
      case 'none':
      case 'resume':
        return;
      case 'addFinalizer': {
        const ops: JsonPatchOp[] = trace.metadata.finalizers
          ? [{ op: 'add', path: '/metadata/finalizers/-', value: FINALIZER }]
          : [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }];
        await this.patchTrace(trace, ops);
        return;
      }
      case 'finalize': {
        for (const o of this.o.observers ?? []) o.ended?.(key, 'deleted');
        const i = trace.metadata.finalizers?.indexOf(FINALIZER) ?? -1;
        if (i >= 0)
          await this.patchTrace(trace, [{ op: 'remove', path: `/metadata/finalizers/${i}` }]);
        return;
      }
      case 'done':
        if (operation === 'stop') {
          // The other replicas' nodes were still running when the state said Stopped: once
          // they have stopped them (or did not in time), the summary covers their last edges.
          if (someStarted(trace) && !this.waitedForStop(trace)) return;
          const stopped = this.stopped.get(key);
          status = stopped ? await this.summary(trace, stopped, true) : {};
        } else status = {};
        break;
      case 'error':
        status = { operationError: decision.error };
        break;
      case 'start':
        if (decision.spec.node && !this.nodes.items.has(`/${decision.spec.node}`)) {
          status = { operationError: `Node ${JSON.stringify(decision.spec.node)} not found` };
          break;
        }
        status = { state: 'Started', operationError: null, startedAt: now, stoppedAt: null };
        this.o.log.info({ trace: key }, 'trace started');
        break;
      case 'stop': {
        // This replica's nodes now, so the summary has their last edges; the others
        // stop theirs when they see the state.
        await this.stopRun(key);
        status = {
          ...(run && (await this.summary(trace, run, true))),
          state: 'Stopped',
          operationError: null,
          stoppedAt: now,
        };
        break;
      }
      case 'generate':
        status = this.o.generate
          ? await this.o.generate(trace, run !== undefined)
          : { operationError: 'NetworkPolicy advice is not enabled in this operator' };
        break;
    }
    // A stop is done once every replica has stopped its nodes (their totals are logged).
    const waiting = decision.kind === 'stop' && someStarted(this.traces.items.get(key));
    const finished = operation === undefined || waiting ? {} : { pendingOperation: null };
    const starting =
      status.state === 'Started' || (decision.kind === 'done' && trace.status?.state === 'Started');
    if (!starting) {
      await this.patchStatus(namespace, name, { ...status, ...finished });
      return;
    }
    if (decision.kind !== 'done') await this.patchStatus(namespace, name, status);
    // Its own nodes' entries are in status before the operation is marked done, so
    // whoever waits for that (kubectl netgraph start) sees where it runs.
    await this.runHere(key);
    await this.runs.get(key)?.flush();
    if (operation !== undefined) await this.patchStatus(namespace, name, finished);
  }

  /**
   * Takes the operation annotation into status.pendingOperation, then removes it. Were the
   * annotation removed only once the operation is carried out, a leader killed in between
   * would leave it to the next, which would carry it out again: a start afresh, losing what
   * the first start saw, or a stop answered "Not started". Undefined when the annotation
   * changed meanwhile.
   */
  private async accept(trace: Trace): Promise<Trace | undefined> {
    const operation = trace.metadata.annotations?.[OPERATION_ANNOTATION];
    if (operation === undefined || trace.metadata.deletionTimestamp) return trace;
    const { namespace, name } = trace.metadata;
    let t = trace;
    if (t.status?.pendingOperation?.operation !== operation)
      t = await this.patchStatus(namespace, name, {
        pendingOperation: { operation, at: new Date().toISOString() },
      });
    const path = `/metadata/annotations/${pointer(OPERATION_ANNOTATION)}`;
    return this.patchTrace(
      t,
      [
        { op: 'test', path, value: operation },
        { op: 'remove', path },
      ],
      false,
    ).catch((err) => {
      // A failed test: the user wrote another operation, whose event comes next.
      if (!isInvalid(err)) throw err;
      this.o.log.debug({ trace: namespacedName(trace), err }, 'annotation changed meanwhile');
      return undefined;
    });
  }

  /** The summary of every node's edges; this replica's nodes' entries are the freshest. */
  private async summary(
    trace: Trace,
    run: TraceRun,
    fresh = false,
  ): Promise<Partial<Record<keyof TraceStatus, unknown>>> {
    const edges =
      (await this.o.gather?.(run.key, run.parameters, () => run.nodeEdges(), fresh)) ?? run.edges();
    const nodes = { ...this.traces.items.get(run.key)?.status?.nodes, ...run.nodeEntries() };
    return traceSummary(edges, nodes, trace.spec ?? {});
  }

  /**
   * A run's part of the status: its nodes' entries by server-side apply (nodes handed
   * over kept, unforced, until their new owner writes its own), and, from the leader, the summary.
   */
  private async writeStatus(trace: Trace, run: TraceRun): Promise<void> {
    const { namespace, name } = trace.metadata;
    const path = `${traceObjectPath(namespace, name)}/status`;
    const apply = (nodes: Record<string, NodeStatus>, force: boolean) =>
      this.o.kube.apply<Trace>(
        path,
        {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: KIND,
          metadata: { namespace, name },
          status: { nodes },
        },
        this.o.replicaId ? `netgraph-operator/${this.o.replicaId}` : 'netgraph-operator',
        force,
      );
    const nodes = run.nodeEntries();
    let t: Trace;
    if (run.handedOver.size === 0) t = await apply(nodes, true);
    else {
      try {
        t = await apply({ ...Object.fromEntries(run.handedOver), ...nodes }, false);
      } catch (err) {
        if (!isConflict(err)) throw err;
        // The new owners wrote their entries: the handed-over ones are theirs now.
        run.handedOver.clear();
        t = await apply(nodes, true);
      }
    }
    this.traces.set(namespacedName(t), t);
    if (this.owns.leadsTrace(run.key) && this.runs.get(run.key) === run)
      await this.patchStatus(namespace, name, await this.summary(trace, run));
  }

  /** Whether a stop has waited for the other replicas as long as it may. */
  private waitedForStop(trace: Trace): boolean {
    const at = Date.parse(trace.status?.pendingOperation?.at ?? '');
    return !(Date.now() - at < (this.o.stopWaitMs ?? 120_000));
  }

  /**
   * Stops the trace on this replica's nodes; their final entries are written by the run.
   * Its edges stay a while for the leader's final summary.
   */
  private async stopRun(key: string): Promise<void> {
    const run = this.runs.get(key);
    if (!run) return;
    this.runs.delete(key);
    this.stopped.set(key, run);
    setTimeout(() => {
      if (this.stopped.get(key) === run) this.stopped.delete(key);
    }, STOPPED_KEPT_MS).unref();
    await run.stop();
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
  private async patchTrace(trace: Trace, ops: JsonPatchOp[], sameVersion = true): Promise<Trace> {
    const { namespace, name, resourceVersion } = trace.metadata;
    const guard: JsonPatchOp[] = sameVersion
      ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }]
      : [];
    const t = await this.o.kube.jsonPatch<Trace>(traceObjectPath(namespace, name), [
      ...guard,
      ...ops,
    ]);
    this.traces.set(namespacedName(t), t);
    return t;
  }
}
