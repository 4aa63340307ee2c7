// The node agent's state: the traces the operator started here, the pods of
// this node each one selects, and the edges drained from their tracers,
// numbered so the operator can resume a stream without losing any.
//
// One attachment per pod network namespace, however many traces select the pod:
// attached when the first trace needs it, closed when the last lets go (or the
// pod goes). Each trace sees it through its own EdgeWindow (counters since the
// trace joined), so memory and per-packet cost do not multiply with traces.
import { randomUUID } from 'node:crypto';
import {
  type AgentFrame,
  type AgentTraceStatus,
  END_FRAME,
  resumeAfter,
  type StreamCursor,
} from '../../api/agent.js';
import { type Edge, edgeKey, sameCounters } from '../../api/edge.js';
import { matchesFilter } from '../../api/filter.js';
import type { AttachMode, TraceFilter } from '../../api/trace.js';
import type { Pod as KubePod, NamespacedMeta } from '../../lib/kube-objects.js';
import type { Logger } from '../../lib/log.js';
import type { CapturedDns } from '../dataplane/dns-ring.js';
import type { EdgeStats } from '../dataplane/edge-maps.js';
import { baselineOf, EdgeWindow } from '../dataplane/edge-window.js';
import { type DnsDropReason, parseCapturedDns } from './dns-answer.js';
import { DnsNames, type DnsNamesOptions } from './dns-names.js';
import { chooseSandbox, type PodNetnsFacts } from './pod-sandbox.js';

/** A pod of this node, as the agent's watch gives it. */
export type Pod = KubePod & { metadata: NamespacedMeta };

/** What the agent needs of the data plane, so the agent can be read (and tested) alone. */
export interface DataPlane {
  /** A pod's sandbox namespaces (by its UID) and the namespaces holding its IPs. */
  findPodNetns(pod: { uid: string; ips: string[] }): Promise<PodNetnsFacts>;
  /** A tracer per path, in order, attached as `mode` asks, or the Error that prevented it. */
  openTracers(netnsPaths: string[], mode: AttachMode): Promise<(PodTracer | Error)[]>;
  /** Kernel memory of the node's BPF maps (one set, shared by every pod traced), in bytes. */
  mapMemory?(): number;
  /** DNS answers the pods received that found no room on their way to the agent (cumulative). */
  dnsDrops?(): number;
  /** Connections open now per edge key (flowEdgeKey), per path, or the Error reading them. */
  openConnections(netnsPaths: string[]): Promise<(Map<string, number> | Error)[]>;
}

type Subscriber = (frame: AgentFrame) => void;

export interface PodTracer {
  /** Edges changed since the previous drain, counters cumulative since attach. */
  drain(): Edge[];
  /** The DNS answers the pod received since the previous call. */
  dnsAnswers?(): CapturedDns[];
  /** Every edge now, counters cumulative since attach. */
  snapshot(): Edge[];
  /** Its edges in the node's maps, and the new connections they had no room for. */
  stats(): EdgeStats;
  /** Why it is not attached as asked (TCX fell back to the socket filter). */
  readonly warning?: string;
  close(): void;
}

/** One pod network namespace attached, shared by the traces that select the pod. */
interface Attachment {
  pod: Pod;
  key: AttachKey;
  inode: number;
  path: string;
  tracer: PodTracer;
  /** The traces watching it, each through its own window. */
  views: Map<AgentTrace, EdgeWindow>;
}

/** An attachment's identity: a network namespace and the mode it is attached in. */
type AttachKey = `${number}/${AttachMode}`;

/** A trace reconciled but for the attachments it joins (their socket tables are read for all traces at once). */
interface JoinPlan {
  t: AgentTrace;
  /** The attachments it keeps. */
  keep: Set<AttachKey>;
  errors: string[];
  podWarnings: string[];
  toJoin: Attachment[];
}

/** What the agent holds in the kernel: for its self-metrics and tests. */
export interface AttachmentInfo {
  pod: string;
  netnsInode: number;
  mode?: AttachMode;
  traces: string[];
}

const podIPs = (p: Pod): string[] =>
  p.status?.podIPs?.map((x) => x.ip) ?? (p.status?.podIP ? [p.status.podIP] : []);
const traceable = (p: Pod): boolean =>
  !p.spec?.hostNetwork && p.status?.phase === 'Running' && podIPs(p).length > 0;

/** A trace on this node. */
class AgentTrace {
  /** The attachments it watches. */
  readonly attached = new Set<AttachKey>();
  readonly edges = new Map<string, { seq: number; first: number; edge: Edge }>();
  readonly subscribers = new Set<Subscriber>();
  error?: string;
  warning?: string;
  /** Its pods that lost new connections for want of room in the node's maps, and how many. */
  drops?: string;

  constructor(
    readonly key: string,
    public filter: TraceFilter,
    public attach: AttachMode,
  ) {}

  status(): AgentTraceStatus {
    const warning = [this.warning, this.drops].filter(Boolean).join('; ');
    return {
      pods: this.attached.size,
      ...(this.error && { error: this.error }),
      ...(warning && { warning }),
    };
  }

  publish(frame: AgentFrame): void {
    for (const s of this.subscribers) s(frame);
  }
}

export class Agent {
  readonly epoch = randomUUID();
  private readonly traces = new Map<string, AgentTrace>();
  private readonly pods = new Map<string, Pod>();
  /** Pods sharing a namespace are attached once (per attach mode asked for). */
  private readonly attachments = new Map<AttachKey, Attachment>();
  private seq = 0;
  private timer?: NodeJS.Timeout;
  /** Traces to reconcile in the next batch (schedule()). */
  private readonly due = new Set<AgentTrace>();
  /** Serializes attach/detach work so a pod is never attached twice by racing events. */
  private work = Promise.resolve();
  /** What each pod of this node learned from the DNS answers it received. */
  private readonly names: DnsNames;
  /** DNS answers learned from, and those dropped as malformed by reason: for the agent's metrics. */
  readonly dnsAnswers = { learned: 0, dropped: new Map<DnsDropReason, number>() };

  constructor(
    readonly node: string,
    private readonly dataPlane: DataPlane,
    private readonly log: Logger,
    intervalMs = 1000,
    /** The attach mode of a trace that names none. */
    private readonly defaultAttach: AttachMode = 'socket',
    dns: DnsNamesOptions = {},
  ) {
    this.names = new DnsNames(dns);
    this.timer = setInterval(() => this.drainAll(), intervalMs);
    this.timer.unref();
  }

  // Pods of this node, as the pod watch reports them.
  onPodsReset(pods: Pod[]): void {
    const fresh = new Set(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
    for (const k of this.pods.keys()) if (!fresh.has(k)) this.onPodDeleted(k);
    for (const p of pods) this.onPod(p);
  }

  onPod(pod: Pod): void {
    this.pods.set(`${pod.metadata.namespace}/${pod.metadata.name}`, pod);
    for (const t of this.traces.values()) this.schedule(t);
  }

  onPodDeleted(podKey: string): void {
    this.pods.delete(podKey);
    this.names.forget(podKey);
    for (const t of this.traces.values()) this.schedule(t);
  }

  /**
   * Starts a trace, or changes its filter and attach mode if it runs already.
   * Attaching goes on in the background.
   */
  startTrace(traceKey: string, filter: TraceFilter, attach?: AttachMode): AgentTraceStatus {
    const mode = attach ?? this.defaultAttach;
    let t = this.traces.get(traceKey);
    if (t) {
      t.filter = filter;
      t.attach = mode;
    } else {
      t = new AgentTrace(traceKey, filter, mode);
      this.traces.set(traceKey, t);
      this.log.info({ trace: traceKey, filter }, 'trace started');
    }
    const trace = t;
    this.schedule(trace);
    return t.status();
  }

  /** Stops a trace: one last drain, then its streams end. False if unknown. */
  async stopTrace(traceKey: string): Promise<boolean> {
    const t = this.traces.get(traceKey);
    if (!t) return false;
    this.traces.delete(traceKey);
    await this.enqueue(async () => {
      for (const k of t.attached) this.leave(t, k);
    });
    t.publish({ status: t.status() });
    for (const s of t.subscribers) s(END_FRAME);
    t.subscribers.clear();
    this.log.info({ trace: traceKey, edges: t.edges.size }, 'trace stopped');
    return true;
  }

  /**
   * Follows a trace's frames: everything after the cursor (api/agent.ts's resume
   * rule), then what comes. Returns undefined for an unknown trace, else the
   * function that ends the subscription. END_FRAME comes last, when the trace stops.
   */
  subscribe(traceKey: string, cursor: StreamCursor, send: Subscriber): (() => void) | undefined {
    const t = this.traces.get(traceKey);
    if (!t) return undefined;
    const from = resumeAfter(this.epoch, cursor);
    send({ hello: { node: this.node, epoch: this.epoch } });
    send({ status: t.status() });
    const backlog = [...t.edges.values()].filter((e) => e.seq > from).sort((a, b) => a.seq - b.seq);
    for (const e of backlog) send(e);
    t.subscribers.add(send);
    return () => t.subscribers.delete(send);
  }

  traceKeys(): string[] {
    return [...this.traces.keys()];
  }

  /** The attachments held now, one per pod network namespace. */
  attachmentInfo(): AttachmentInfo[] {
    return [...this.attachments.values()].map((a) => ({
      pod: `${a.pod.metadata.namespace}/${a.pod.metadata.name}`,
      netnsInode: a.inode,
      mode: a.key.slice(a.key.indexOf('/') + 1) as AttachMode,
      traces: [...a.views.keys()].map((t) => t.key),
    }));
  }

  close(): void {
    clearInterval(this.timer);
    for (const k of this.traceKeys()) void this.stopTrace(k);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.work = this.work.then(job).catch((err) => this.log.error({ err }, 'agent work failed'));
    return this.work;
  }

  /** Attaches the trace to every matching pod of this node, and detaches from pods gone. */
  /**
   * Reconciles `t` in the next batch: every trace due then is reconciled together, so
   * traces starting at once read the socket tables of the pods they join in one go
   * (reading a namespace's tables walks the kernel's socket hashes, ~7 ms each).
   */
  private schedule(t: AgentTrace): void {
    this.due.add(t);
    if (this.due.size > 1) return;
    this.enqueue(async () => {
      const ts = [...this.due];
      this.due.clear();
      const plans: JoinPlan[] = [];
      for (const t of ts) {
        const plan = await this.reconcile(t);
        if (plan) plans.push(plan);
      }
      const paths = [...new Set(plans.flatMap((p) => p.toJoin.map((a) => a.path)))];
      const read = paths.length > 0 ? await this.dataPlane.openConnections(paths) : [];
      const open = new Map(paths.map((path, i) => [path, read[i]]));
      for (const plan of plans) this.join(plan, open);
    });
  }

  /** Attaches the trace to every matching pod of this node; joining attachments is left to join(). */
  private async reconcile(t: AgentTrace): Promise<JoinPlan | undefined> {
    if (![...this.traces.values()].includes(t)) return undefined;
    const wanted = [...this.pods.values()].filter(
      (p) =>
        traceable(p) &&
        matchesFilter(
          {
            namespace: p.metadata.namespace,
            name: p.metadata.name,
            labels: p.metadata.labels,
            containers: p.spec?.containers?.map((c) => c.name) ?? [],
          },
          t.filter,
        ),
    );
    const keep = new Set<AttachKey>();
    const errors: string[] = [];
    const podWarnings: string[] = [];
    const toAttach = new Map<AttachKey, { pod: Pod; path: string; inode: number }>();
    const toJoin: Attachment[] = [];
    for (const pod of wanted) {
      const ips = podIPs(pod);
      const found = await this.dataPlane.findPodNetns({ uid: pod.metadata.uid ?? '', ips });
      const choice = chooseSandbox(`${pod.metadata.namespace}/${pod.metadata.name}`, ips, found);
      if (!choice.ok) {
        (choice.warning ? podWarnings : errors).push(choice.error);
        continue;
      }
      const ns = choice.netns;
      const k: AttachKey = `${ns.inode}/${t.attach}`;
      if (keep.has(k)) continue;
      keep.add(k);
      const a = this.attachments.get(k);
      if (!a) toAttach.set(k, { pod, path: ns.path, inode: ns.inode });
      else {
        a.pod = pod;
        if (!a.views.has(t)) toJoin.push(a);
      }
    }
    // One batch each, so the worker thread enters every namespace in one go.
    const pending = [...toAttach];
    const opened =
      pending.length > 0
        ? await this.dataPlane.openTracers(
            pending.map(([, p]) => p.path),
            t.attach,
          )
        : [];
    pending.forEach(([key, { pod, path, inode }], i) => {
      const tracer = opened[i];
      const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (!tracer || tracer instanceof Error) {
        errors.push(`attach to pod ${name}: ${tracer?.message ?? 'no tracer'}`);
        return;
      }
      // The first trace sees everything since attach.
      this.attachments.set(key, {
        pod,
        key,
        inode,
        path,
        tracer,
        views: new Map([[t, new EdgeWindow()]]),
      });
      t.attached.add(key);
      this.log.info({ pod: name, netns: path, mode: t.attach }, 'attached');
      if (tracer.warning) this.log.warn({ pod: name }, tracer.warning);
    });
    return { t, keep, errors, podWarnings, toJoin };
  }

  /**
   * The trace joins the attachments it found already there (`open`: each one's
   * connections open now), lets go of those it no longer selects, and says how it stands.
   */
  private join(
    { t, keep, errors, podWarnings, toJoin }: JoinPlan,
    open: Map<string, Map<string, number> | Error | undefined>,
  ): void {
    if (![...this.traces.values()].includes(t)) return;
    for (const a of toJoin) {
      // Closed meanwhile by a trace of the same batch letting go of it: attached afresh next time.
      if (this.attachments.get(a.key) !== a) {
        this.schedule(t);
        continue;
      }
      const conns = open.get(a.path);
      const name = `${a.pod.metadata.namespace}/${a.pod.metadata.name}`;
      if (!conns || conns instanceof Error) {
        errors.push(`join pod ${name}: ${conns?.message ?? 'no socket table'}`);
        continue;
      }
      // Later traces: what the attachment counted so far is not theirs, open connections are.
      const since = new Date().toISOString();
      a.views.set(t, new EdgeWindow(baselineOf(a.tracer.snapshot(), conns), since));
      t.attached.add(a.key);
    }
    for (const k of t.attached) if (!keep.has(k)) this.leave(t, k);
    t.error = errors.length > 0 ? errors.join('; ') : undefined;
    const warnings = [
      ...podWarnings,
      ...[...t.attached].flatMap((k) => this.attachments.get(k)?.tracer.warning ?? []),
    ];
    const warning = warnings.length > 0 ? warnings.join('; ') : undefined;
    // Another namespace passing for a pod: said once in the log, as long as it lasts.
    if (podWarnings.length > 0 && warning !== t.warning)
      this.log.warn({ trace: t.key, reasons: podWarnings }, 'pods not traced');
    t.warning = warning;
    t.publish({ status: t.status() });
  }

  /**
   * The trace lets go of an attachment: it gets the last counts first (every
   * watcher does: a drain is shared), and the last one out closes it.
   */
  private leave(t: AgentTrace, key: AttachKey): void {
    t.attached.delete(key);
    const a = this.attachments.get(key);
    if (!a) return;
    this.drainAttachment(a);
    a.views.delete(t);
    if (a.views.size > 0) return;
    a.tracer.close();
    this.attachments.delete(key);
    this.log.info({ pod: `${a.pod.metadata.namespace}/${a.pod.metadata.name}` }, 'detached');
  }

  /** Kernel memory of the node's BPF maps, in bytes. */
  mapMemory(): number {
    return this.dataPlane.mapMemory?.() ?? 0;
  }

  /** DNS answers dropped before the agent saw them: the ring buffer or a pod's backlog was full. */
  dnsDrops(): number {
    return this.dataPlane.dnsDrops?.() ?? 0;
  }

  private drainAll(): void {
    for (const a of this.attachments.values()) this.drainAttachment(a);
    for (const t of this.traces.values()) {
      const drops = this.dropsOf(t);
      if (drops === t.drops) continue;
      t.drops = drops;
      t.publish({ status: t.status() });
    }
  }

  /**
   * The trace's pods that lost new connections (edge or flow map) or packets of connections
   * the flow table let go (its LRU pushes flows out when full), cumulative since attach.
   */
  private dropsOf(t: AgentTrace): string | undefined {
    const out: string[] = [];
    for (const k of t.attached) {
      const a = this.attachments.get(k);
      if (!a) continue;
      const s = a.tracer.stats();
      const name = `pod ${a.pod.metadata.namespace}/${a.pod.metadata.name}`;
      if (s.edgeDrops + s.flowDrops > 0)
        out.push(
          `${name}: ${s.edgeDrops + s.flowDrops} new connections not counted (${s.edgeDrops} past its share of the node's edge table, ${s.flowDrops} refused by the flow table)`,
        );
      if (s.midstream > 0)
        out.push(
          `${name}: ${s.midstream} packets of TCP connections the node's flow table did not hold, not counted (pushed out by newer flows, or opened before attach and not found)`,
        );
    }
    return out.length > 0 ? out.join('; ') : undefined;
  }

  /** One drain of the shared tracer, handed to every trace through its window. */
  private drainAttachment(a: Attachment): void {
    let edges: Edge[];
    try {
      // The pod's DNS answers first: a connection to an address follows its lookup.
      for (const c of a.tracer.dnsAnswers?.() ?? []) this.learnDns(a.pod, c);
      edges = a.tracer.drain();
    } catch (err) {
      this.log.warn({ pod: a.pod.metadata.name, err }, 'drain failed');
      return;
    }
    for (const [t, window] of a.views) {
      for (const raw of edges) {
        const seen = window.view(raw);
        if (!seen) continue;
        const edge = this.local(seen, a.pod);
        const k = edgeKey(edge);
        const prev = t.edges.get(k);
        if (
          prev &&
          sameCounters(prev.edge, edge) &&
          prev.edge.message === edge.message &&
          prev.edge.pid === edge.pid &&
          prev.edge.comm === edge.comm
        )
          continue;
        const seq = ++this.seq;
        const entry = { seq, first: prev?.first ?? seq, edge };
        t.edges.set(k, entry);
        t.publish(entry);
      }
    }
  }

  /**
   * A DNS answer the pod received (from whichever server): the addresses it names
   * are learned for that pod's edges only; a malformed one is counted.
   */
  private learnDns(pod: Pod, captured: CapturedDns): void {
    const parsed = parseCapturedDns(captured);
    if (!parsed.ok) {
      const n = this.dnsAnswers.dropped.get(parsed.error) ?? 0;
      this.dnsAnswers.dropped.set(parsed.error, n + 1);
      return;
    }
    this.names.learn(`${pod.metadata.namespace}/${pod.metadata.name}`, parsed.answer);
    this.dnsAnswers.learned++;
  }

  /** The local side of an edge: which pod of this node saw it, and the remote's name if the pod looked it up. */
  private local(e: Edge, pod: Pod): Edge {
    const v6 = e.ip?.includes(':') ?? false;
    const ips = podIPs(pod);
    const named = e.ip
      ? this.names.nameOf(`${pod.metadata.namespace}/${pod.metadata.name}`, e.ip)
      : undefined;
    return {
      ...e,
      node: this.node,
      namespace: pod.metadata.namespace,
      pod: pod.metadata.name,
      podIP: ips.find((ip) => ip.includes(':') === v6) ?? ips[0],
      podHostIP: pod.status?.hostIP,
      podLabels: pod.metadata.labels,
      ...(named && {
        remoteName: named.name,
        remoteNameSource: 'dns' as const,
        remoteCanonicalName: named.canonicalName,
      }),
    };
  }
}
