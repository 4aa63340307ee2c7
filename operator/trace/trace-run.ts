// One running trace in one operator replica: a session per node's agent (the nodes this
// replica owns), the merged set of unique edges, the log stream, and those nodes' part
// of the status, with where each node's stream was read up to: a replica that takes a
// node over resumes there, so an edge is logged once whoever held the node.
import { type AgentTraceStatus, type StreamCursor, traceRef } from '../../api/agent.js';
import {
  addCounters,
  COUNTER_FIELDS,
  copyCounters,
  type Edge,
  type EdgeCounters,
  edgeKey,
  edgeToJSON,
} from '../../api/edge.js';
import type { NodeStatus, TraceParameters, TraceSpec } from '../../api/trace.js';
import type { Logger } from '../../lib/log.js';
import { errorText } from '../../lib/result.js';
import { adoptName } from './adopt-name.js';
import type { AgentAddress, Session, SessionFactory } from './agent-session.js';
import type { EdgeObserver } from './edge-observer.js';
import type { EdgeView } from './edge-view.js';

const counters = (e: Edge): EdgeCounters =>
  Object.fromEntries(COUNTER_FIELDS.map((f) => [f, e[f] ?? 0])) as EdgeCounters;

export interface TraceRunDeps {
  /** Logs each new edge of the view: the stream `kubectl logs` follows. */
  edgeLog: Logger;
  log: Logger;
  /** Opens the link to a node's agent (agentSessions in the operator, fakes in tests). */
  sessions: SessionFactory;
  enrich(edge: Edge): Edge;
  view(parameters: TraceParameters): EdgeView;
  /** Writes this run's part of the status (its nodes' entries, and the summary if it leads). */
  writeStatus(run: TraceRun): Promise<void>;
  flushMs?: number;
  /** Told of every edge and of the trace's start and stop (metrics, history, policy advice). */
  observers?: readonly EdgeObserver[];
}

export class TraceRun {
  readonly nodes = new Map<string, NodeStatus>();
  /** Nodes handed to another replica: their last entry, kept until the new owner writes its own. */
  readonly handedOver = new Map<string, NodeStatus>();
  private readonly sessions = new Map<string, Session>();
  /** Per node taken over: where the previous holder had read its stream up to. */
  private readonly known = new Map<string, StreamCursor>();
  /**
   * Each node's edges by key, with the agent epoch that last sent them and what earlier
   * epochs counted; by node first, so handing nodes over costs their edges, not all.
   */
  private readonly received = new Map<
    string,
    Map<string, { edge: Edge; epoch: string; base?: EdgeCounters }>
  >();
  private readonly view: EdgeView;
  private flushTimer?: NodeJS.Timeout;
  private flushing = Promise.resolve();
  private stopped = false;

  constructor(
    readonly key: string,
    readonly spec: TraceSpec,
    readonly parameters: TraceParameters,
    /** status.startedAt of the start this run carries out: a new one starts a new run. */
    readonly startedAt: string,
    private readonly deps: TraceRunDeps,
  ) {
    this.view = deps.view(parameters);
    for (const o of deps.observers ?? []) o.started?.(key, spec, parameters);
  }

  hasNode(node: string): boolean {
    return this.sessions.has(node);
  }

  /** The nodes whose agents this run follows now. */
  heldNodes(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Starts the trace on one node's agent; the failure reason lands in status.nodes.
   * `known`: where the node's previous holder had read its stream up to.
   */
  async attach(node: string, agent: AgentAddress, known?: StreamCursor): Promise<void> {
    const existing = this.sessions.get(node);
    if (existing) {
      existing.moveTo(agent);
      return;
    }
    // Taken back (this replica let it go when it could not renew its Lease): where it read
    // up to itself may be later than the status says, if that write failed.
    const own = this.handedOver.get(node)?.cursor;
    const from =
      own && (!known || (own.epoch === known.epoch && own.after > known.after)) ? own : known;
    if (from) this.known.set(node, from);
    this.handedOver.delete(node);
    const session = this.deps.sessions(
      node,
      agent,
      traceRef(this.key),
      {
        filter: this.spec.filter ?? {},
        ...(this.parameters.attach && { attach: this.parameters.attach }),
      },
      {
        onEdge: (n, e, epoch, first) => this.onEdge(n, e, epoch, first),
        onStatus: (n, s) => this.onAgentStatus(n, s),
        onError: (n, reason) => this.setNode(n, { state: 'Failed', reason }),
      },
    );
    this.sessions.set(node, session);
    try {
      await session.start();
      this.setNode(node, { state: 'Started', pods: this.nodes.get(node)?.pods ?? 0 });
    } catch (err) {
      this.sessions.delete(node);
      session.close();
      this.setNode(node, { state: 'Failed', reason: errorText(err) });
    }
  }

  /** The node's agent went away: keep what it sent, say so in status. */
  detach(node: string, state: NodeStatus['state'], reason: string): void {
    this.sessions.get(node)?.close();
    this.sessions.delete(node);
    this.setNode(node, { state, reason });
  }

  /**
   * Hands the nodes to other replicas: drops their links without stopping the agents, and
   * keeps each node's entry (where its stream was read up to) for its new owner. All at
   * once: the view drops their edges in one pass, however many nodes go.
   */
  release(nodes: Iterable<string>): void {
    const gone = new Set<Edge>();
    for (const node of nodes) {
      const session = this.sessions.get(node);
      if (!session) continue;
      const cursor = session.cursor();
      session.close();
      this.sessions.delete(node);
      this.known.delete(node);
      const entry = this.nodes.get(node);
      this.nodes.delete(node);
      if (entry) this.handedOver.set(node, { ...entry, cursor });
      // Its edges are the new owner's to show, sum and total from now on.
      for (const { edge } of this.received.get(node)?.values() ?? []) gone.add(edge);
      this.received.delete(node);
    }
    if (gone.size > 0) this.view.remove(gone);
  }

  /** Stops every agent, takes their last edges, logs their totals and writes the final status. */
  async stop(): Promise<void> {
    this.stopped = true;
    // A node's entry says Stopped only once its totals are logged: a stop is marked done
    // on that (with replicas), so no write due meanwhile may carry it earlier.
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await Promise.allSettled(
      [...this.sessions].map(async ([node, s]) => {
        await s
          .stop()
          .catch((err) => this.deps.log.warn({ trace: this.key, node, err }, 'stop failed'));
        this.setNode(node, { state: 'Stopped', pods: this.nodes.get(node)?.pods ?? 0 });
      }),
    );
    this.sessions.clear();
    // The log stream showed each edge when it appeared; its totals come at the end.
    for (const e of this.view.edges()) {
      if (e.type === 'normal')
        this.deps.edgeLog.info({ trace: this.key, ...edgeToJSON(e) }, 'edge total');
    }
    for (const o of this.deps.observers ?? []) o.ended?.(this.key, 'stopped');
    await this.flush();
  }

  /** Drops every link without stopping the agents (operator shutting down). */
  close(): void {
    clearTimeout(this.flushTimer);
    for (const s of this.sessions.values()) s.close();
  }

  /** This run's unique edges, as its view shows them. */
  edges(): Edge[] {
    return this.view.edges();
  }

  /** Each edge of its nodes, with its node, its counters as the agents last sent them. */
  nodeEdges(): Edge[] {
    const out: Edge[] = [];
    for (const [node, edges] of this.received)
      for (const { edge } of edges.values()) out.push({ ...edge, node });
    return out;
  }

  /** Its nodes' status entries, each with where its stream was read up to. */
  nodeEntries(): Record<string, NodeStatus> {
    const out: Record<string, NodeStatus> = {};
    for (const [node, s] of this.nodes) {
      const cursor = this.sessions.get(node)?.cursor();
      out[node] = cursor?.epoch ? { ...s, cursor } : s;
    }
    return out;
  }

  private onEdge(node: string, raw: Edge, epoch: string, first?: number): void {
    let mine = this.received.get(node);
    if (mine === undefined) {
      mine = new Map();
      this.received.set(node, mine);
    }
    const k = edgeKey(raw);
    const kept = mine.get(k);
    if (kept) {
      // A restarted agent counts from zero: what its earlier life counted stays as a base.
      if (kept.epoch !== epoch) {
        kept.base = counters(kept.edge);
        kept.epoch = epoch;
      }
      // A name the pod looked up after the first sighting comes on an update.
      const named = adoptName(kept.edge, raw);
      // Agents send cumulative counters: the newest value (on top of the base) is the truth.
      copyCounters(kept.edge, raw);
      if (kept.base) addCounters(kept.edge, kept.base);
      this.view.update(kept.edge);
      // The log stream said the edge unnamed: it says the name once it is known.
      if (named)
        this.deps.edgeLog.info({ trace: this.key, ...edgeToJSON(kept.edge) }, 'edge named');
      for (const o of this.deps.observers ?? []) {
        if (named) o.named?.(this.key, node, kept.edge);
        o.edge(this.key, node, kept.edge);
      }
    } else {
      const edge = this.deps.enrich(raw);
      mine.set(k, { edge, epoch });
      const shown = this.view.add(edge);
      // Seen by the node's previous holder: logged and counted there already.
      const known = this.known.get(node);
      const seen = known?.epoch === epoch && first !== undefined && first <= known.after;
      for (const o of this.deps.observers ?? []) o.edge(this.key, node, edge, seen);
      if (shown?.type === 'normal' && !seen)
        this.deps.edgeLog.info({ trace: this.key, ...edgeToJSON(shown) }, 'edge');
      // An agent's warning (a full map: edges dropped) is logged as a warning.
      else if (shown && shown.type !== 'normal')
        this.deps.edgeLog.warn({ trace: this.key, ...edgeToJSON(shown) }, shown.message);
    }
    this.scheduleFlush();
  }

  private onAgentStatus(node: string, s: AgentTraceStatus): void {
    this.setNode(
      node,
      s.error
        ? { state: 'Failed', reason: s.error, pods: s.pods }
        : { state: 'Started', pods: s.pods, ...(s.warning && { reason: s.warning }) },
    );
  }

  private setNode(node: string, s: NodeStatus): void {
    if (this.stopped && s.state !== 'Stopped') return;
    this.nodes.set(node, s);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.deps.flushMs ?? 1000);
  }

  /** Status writes never overlap, so an older one cannot land after a newer one. */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = this.flushing.then(() =>
      this.deps.writeStatus(this).catch((err) => {
        this.deps.log.warn({ trace: this.key, err }, 'status write failed');
      }),
    );
    return this.flushing;
  }
}
