// gadget/dataplane: everything that touches eBPF and network namespaces, used by
// the agent and by the local command alike.
//
// The room: tracer.ts (this file: one tracer per network namespace), libbpf.ts and
// libc.js (bindings through koffi), bpf-abi.ts (the C structs), bpf-path.ts (where
// the compiled objects are), edge-maps.ts and edge-decode.ts (draining and decoding
// the maps), dns-ring.ts (the DNS answers pods receive), socket-table.ts (seeding
// connections open before attach), netns.ts (finding namespaces), netns-thread.ts
// and netns-worker.js (entering one on the worker thread, never on Node's main
// thread), edge-table.ts (the table view).
//
// One tracer per network namespace, all on the node's one BPF object
// (node-object.ts): each tracer is a pod id in its maps, the namespace's addresses
// filed under it (pod-of.js), and an attachment, either way:
// - `socket` (the default): a packet socket inside the namespace with the socket
//   filter attached; works with every CNI;
// - `tcx`: the tc programs as TCX links on the pod's host-side veth(s) (see
//   tcx.js); no packet socket, so no packet is cloned. A pod with no host-side veth (ipvlan, macvlan) or a kernel
//   without TCX falls back to `socket`, and the tracer says why in `warning`.
// Connections open at attach are seeded from the socket table; EdgeMaps drains.
import type { Edge } from '../../api/edge.js';
import type { AttachMode } from '../../api/trace.js';
import { formatIPv4, formatIPv6 } from '../../lib/ip.js';
import { edgeOfFlow } from './bpf-abi.js';
import { type OwnerHandle, watchOwners } from './connect-owners.js';
import type { CapturedDns } from './dns-ring.js';
import type { EdgeStats } from './edge-maps.js';
import { flowEdgeKey } from './edge-window.js';
import { close as closeFd } from './libc.js';
import { locateNetns, type NetnsInfo, type NetnsLocation, type NetnsRef } from './netns.js';
import { inNetns, type NetnsJob, type SocketTables } from './netns-thread.js';
import { type NodeObject, nodeObject } from './node-object.js';
import { parseSocketTable, type SeedFlow, seedFlows } from './socket-table.js';
import { DEFAULT_MAX_EDGES, flowsFor } from './tracer-defaults.js';

export interface TracerOptions {
  /**
   * Distinct edges the node keeps, every traced pod together (default
   * DEFAULT_MAX_EDGES); more are counted as dropped and reported. Fixed while
   * any tracer is open.
   */
  maxEdges?: number;
  /** Flows (5-tuples) the node remembers, least recently used evicted (default flowsFor(maxEdges)). */
  maxFlows?: number;
  /** How to attach (default `socket`). */
  attach?: AttachMode;
  /** tcx: the namespace holding the pods' host-side veths (default: this process's, the node's). */
  hostNetns?: string;
  /**
   * Hand the DNS answers the pods receive to dnsAnswers() (default false: only the
   * agent reads them). The node's one object does as the tracer opened last asked.
   */
  dnsCapture?: boolean;
}

export type TracerStats = EdgeStats;

export interface Tracer {
  readonly netns: NetnsInfo;
  /** How it is attached: `socket` also when `tcx` was asked for and fell back. */
  readonly mode: AttachMode;
  /** Why the mode asked for was not used. */
  readonly warning?: string;
  /**
   * Edges that are new or changed since the previous drain, with counters
   * cumulative since attach (type 'normal'), then a 'warn' event when flows
   * were dropped since the previous drain. Each edge appears once (slots are
   * unique per key in the kernel).
   */
  drain(): Edge[];
  /** Every edge now, counters cumulative since attach; drain()'s bookkeeping is left alone. */
  snapshot(): Edge[];
  stats(): TracerStats;
  /** The DNS answers the pod received since the previous call (UDP and TCP from port 53). */
  dnsAnswers(): CapturedDns[];
  /** Detaches (closes the socket or its TCX links) and releases every fd and mapping. Idempotent. */
  close(): void;
}

class NetnsTracer implements Tracer {
  readonly netns: NetnsInfo;
  mode: AttachMode = 'socket';
  warning?: string;
  private socketFd = -1;
  private links: number[] = [];
  /** Its `pod_of` keys, filed by the worker. */
  private podKeys: Uint8Array[] = [];
  private owners?: OwnerHandle;
  private closed = false;

  constructor(
    private readonly node: NodeObject,
    /** Its pod id in the node's maps. */
    private readonly pod: number,
    loc: NetnsLocation,
    /** The attach job: programs to attach and how. */
    readonly job: NetnsJob,
  ) {
    this.netns = { ...loc, addrs: [] };
  }

  /** Takes what the worker attached (a socket or TCX links), so close() releases it. */
  adopt(r: {
    socketFd?: number;
    links?: number[];
    podKeys?: Uint8Array[];
    tcxError?: string;
  }): void {
    if (r.socketFd !== undefined) this.socketFd = r.socketFd;
    if (r.podKeys) this.podKeys = r.podKeys;
    if (r.links?.length) {
      this.links = r.links;
      this.mode = 'tcx';
    }
    if (r.tcxError) {
      this.warning = `TCX not attached for ${this.netns.name} (${r.tcxError}): socket filter used instead`;
    }
  }

  get attached(): boolean {
    return this.socketFd >= 0 || this.links.length > 0;
  }

  /** Seeds the flows open at attach (read after attaching) and learns the addresses. */
  seed(addrs: string[], flows: SeedFlow[]): void {
    this.netns.addrs = addrs;
    this.node.maps.seed(this.pod, flows);
    this.owners = watchOwners(this.netns.inode);
  }

  private live(): void {
    if (this.closed) throw new Error(`tracer for ${this.netns.name} is closed`);
  }

  drain(): Edge[] {
    this.live();
    if (this.owners) this.node.maps.addOwners(this.pod, this.owners.take());
    return this.node.maps.drain(this.pod);
  }

  snapshot(): Edge[] {
    this.live();
    return this.node.maps.snapshot(this.pod);
  }

  stats(): TracerStats {
    this.live();
    return this.node.maps.stats(this.pod);
  }

  dnsAnswers(): CapturedDns[] {
    this.live();
    return this.node.dns.take(this.pod);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing the socket or our links detaches the program from this pod (never
    // anyone else's links); then the pod id and what it holds are freed.
    if (this.socketFd >= 0) closeFd(this.socketFd);
    this.owners?.release();
    for (const l of this.links.splice(0)) closeFd(l);
    this.node.removePod(this.pod, this.podKeys);
  }
}

function load(opts: TracerOptions, loc: NetnsLocation): NetnsTracer {
  const maxEdges = opts.maxEdges ?? DEFAULT_MAX_EDGES;
  const maxFlows = opts.maxFlows ?? flowsFor(maxEdges);
  for (const [k, v] of Object.entries({ maxEdges, maxFlows })) {
    if (!Number.isInteger(v) || v < 1 || v > 1 << 24) throw new Error(`${k} must be 1..16777216`);
  }
  const node = nodeObject({ maxEdges, maxFlows });
  node.dns.capture = opts.dnsCapture ?? false;
  const pod = node.addPod(loc.name);
  const job: NetnsJob = {
    path: loc.path,
    progFd: node.progs.socket,
    tables: true,
    pod: { podOfFd: node.podOfFd, id: pod },
  };
  if (opts.attach === 'tcx') {
    // The socket filter stays in the job: the fallback.
    job.tcx = {
      inFd: node.progs.tcxIn,
      outFd: node.progs.tcxOut,
      ...(opts.hostNetns && { hostPath: opts.hostNetns }),
    };
  }
  return new NetnsTracer(node, pod, loc, job);
}

/**
 * Attaches to several namespaces with one worker thread. References to the same
 * namespace (same inode) share one tracer. Each entry is a Tracer or the Error
 * that prevented it (namespace not found, kernel refusing the program, ...).
 */
export async function openTracers(
  refs: NetnsRef[],
  opts: TracerOptions = {},
): Promise<(Tracer | Error)[]> {
  const locs = await Promise.all(
    refs.map(
      (r): Promise<NetnsLocation | Error> =>
        typeof r === 'string' ? locateNetns(r).catch((e: Error) => e) : Promise.resolve(r),
    ),
  );
  const byId = new Map<string, { loc: NetnsLocation; tracer: NetnsTracer | Error }>();
  for (const loc of locs) {
    if (loc instanceof Error || byId.has(`${loc.dev}:${loc.inode}`)) continue;
    let tracer: NetnsTracer | Error;
    try {
      tracer = load(opts, loc);
    } catch (err) {
      tracer = err as Error;
    }
    byId.set(`${loc.dev}:${loc.inode}`, { loc, tracer });
  }
  const pending = [...byId.values()].filter(
    (p): p is { loc: NetnsLocation; tracer: NetnsTracer } => !(p.tracer instanceof Error),
  );
  const results = await inNetns(pending.map((p) => p.tracer.job)).catch((err: Error) =>
    pending.map(() => ({ ok: false as const, error: err.message })),
  );
  pending.forEach((p, i) => {
    const r = results[i];
    try {
      if (!r?.ok) throw new Error(`attach in ${p.loc.name}: ${r?.error ?? 'no result'}`);
      p.tracer.adopt(r);
      if (!p.tracer.attached || !r.tables) throw new Error(`attach in ${p.loc.name} failed`);
      p.tracer.seed(r.addrs, openFlows(r.tables, r.addrs));
    } catch (err) {
      p.tracer.close();
      byId.set(`${p.loc.dev}:${p.loc.inode}`, { loc: p.loc, tracer: err as Error });
    }
  });
  return locs.map((loc) =>
    loc instanceof Error
      ? loc
      : (byId.get(`${loc.dev}:${loc.inode}`)?.tracer ?? new Error(`${loc.name}: not attached`)),
  );
}

function openFlows(tables: SocketTables, addrs: string[]): SeedFlow[] {
  const entries = [
    ...parseSocketTable(tables.tcp, 'tcp'),
    ...parseSocketTable(tables.tcp6, 'tcp'),
    ...parseSocketTable(tables.udp, 'udp'),
    ...parseSocketTable(tables.udp6, 'udp'),
  ];
  return seedFlows(entries, addrs);
}

/**
 * Connections open now in each namespace (one worker thread for all), counted per
 * edge key (flowEdgeKey), or the Error that prevented reading its socket table.
 */
export async function openConnections(paths: string[]): Promise<(Map<string, number> | Error)[]> {
  const results = await inNetns(paths.map((path) => ({ path, tables: true }))).catch((err: Error) =>
    paths.map(() => ({ ok: false as const, error: err.message })),
  );
  return paths.map((path, i) => {
    const r = results[i];
    if (!r?.ok || !r.tables)
      return new Error(`socket table of ${path}: ${r?.ok ? 'none' : r?.error}`);
    const counts = new Map<string, number>();
    for (const f of openFlows(r.tables, r.addrs)) {
      const e = edgeOfFlow(f, f.pktType);
      const ip = e.family === 4 ? formatIPv4(e.ip) : formatIPv6(e.ip);
      const k = flowEdgeKey({ pktType: e.pktType, proto: e.proto, ip, port: e.port });
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  });
}

/** Attaches to one namespace (see openTracers); throws what prevented it. */
export async function openTracer(netns: NetnsRef, opts?: TracerOptions): Promise<Tracer> {
  const [t] = await openTracers([netns], opts);
  if (!t || t instanceof Error) throw t ?? new Error('no tracer');
  return t;
}
