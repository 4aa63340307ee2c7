// One running trace in the operator: a session per node's agent, the merged set
// of unique edges, the log stream, and the status it keeps up to date.
import { type AgentTraceStatus, traceRef } from '../../api/agent.js';
import {
  addCounters,
  COUNTER_FIELDS,
  copyCounters,
  type Edge,
  type EdgeCounters,
  edgeKey,
  edgeToJSON,
} from '../../api/edge.js';
import type { NodeStatus, TraceParameters, TraceSpec, TraceStatus } from '../../api/trace.js';
import type { Logger } from '../../lib/log.js';
import { errorText } from '../../lib/result.js';
import { adoptName } from './adopt-name.js';
import type { AgentAddress, Session, SessionFactory } from './agent-session.js';
import type { EdgeObserver } from './edge-observer.js';
import type { EdgeView } from './edge-view.js';
import { statusOutput } from './status-output.js';

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
  /** Writes part of the Trace's status (a merge patch). */
  patchStatus(status: Partial<Record<keyof TraceStatus, unknown>>): Promise<void>;
  flushMs?: number;
  /** Told of every edge and of the trace's start and stop (metrics, history, policy advice). */
  observers?: readonly EdgeObserver[];
}

export class TraceRun {
  readonly nodes = new Map<string, NodeStatus>();
  private readonly sessions = new Map<string, Session>();
  /** Each node's edges, with the agent epoch that last sent them and what earlier epochs counted. */
  private readonly edges = new Map<string, { edge: Edge; epoch: string; base?: EdgeCounters }>();
  private readonly view: EdgeView;
  private flushTimer?: NodeJS.Timeout;
  private flushing = Promise.resolve();
  private stopped = false;

  constructor(
    readonly key: string,
    readonly spec: TraceSpec,
    readonly parameters: TraceParameters,
    private readonly deps: TraceRunDeps,
  ) {
    this.view = deps.view(parameters);
    for (const o of deps.observers ?? []) o.started?.(key, spec, parameters);
  }

  hasNode(node: string): boolean {
    return this.sessions.has(node);
  }

  /** Starts the trace on one node's agent; the failure reason lands in status.nodes. */
  async attach(node: string, agent: AgentAddress): Promise<void> {
    const existing = this.sessions.get(node);
    if (existing) {
      existing.moveTo(agent);
      return;
    }
    const session = this.deps.sessions(
      node,
      agent,
      traceRef(this.key),
      {
        filter: this.spec.filter ?? {},
        ...(this.parameters.attach && { attach: this.parameters.attach }),
      },
      {
        onEdge: (n, e, epoch) => this.onEdge(n, e, epoch),
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

  /** Stops every agent, takes their last edges, logs their totals and writes the final status. */
  async stop(): Promise<void> {
    this.stopped = true;
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

  /** The status fields this run owns. */
  status(): Partial<Record<keyof TraceStatus, unknown>> {
    const edges = this.view.edges();
    const out = this.spec.outputMode === 'Status' ? statusOutput(edges) : undefined;
    // A started node with a reason runs, but not as asked (socket filter instead of TCX).
    const failed = [...this.nodes].filter(
      ([, s]) => s.state === 'Failed' || s.state === 'AgentMissing' || s.reason,
    );
    const warnings = [
      out?.warning,
      ...failed.map(([n, s]) => `node ${n}: ${s.reason ?? s.state}`),
    ].filter(Boolean);
    return {
      edges: edges.length,
      nodes: Object.fromEntries(this.nodes),
      operationWarning: warnings.length > 0 ? warnings.join('; ') : null,
      ...(out && { output: out.output }),
    };
  }

  private onEdge(node: string, raw: Edge, epoch: string): void {
    const k = `${node}/${edgeKey(raw)}`;
    const kept = this.edges.get(k);
    if (kept) {
      // A restarted agent counts from zero: what its earlier life counted stays as a base.
      if (kept.epoch !== epoch) {
        kept.base = counters(kept.edge);
        kept.epoch = epoch;
      }
      // A name the pod looked up after the first sighting comes on an update.
      adoptName(kept.edge, raw);
      // Agents send cumulative counters: the newest value (on top of the base) is the truth.
      copyCounters(kept.edge, raw);
      if (kept.base) addCounters(kept.edge, kept.base);
      this.view.update(kept.edge);
      for (const o of this.deps.observers ?? []) o.edge(this.key, node, kept.edge);
    } else {
      const edge = this.deps.enrich(raw);
      this.edges.set(k, { edge, epoch });
      const shown = this.view.add(edge);
      for (const o of this.deps.observers ?? []) o.edge(this.key, node, edge);
      if (shown?.type === 'normal')
        this.deps.edgeLog.info({ trace: this.key, ...edgeToJSON(shown) }, 'edge');
      // An agent's warning (a full map: edges dropped) is logged as a warning.
      else if (shown)
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
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(() =>
      this.deps.patchStatus(this.status()).catch((err) => {
        this.deps.log.warn({ trace: this.key, err }, 'status write failed');
      }),
    );
    return this.flushing;
  }
}
