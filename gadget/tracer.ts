// One tracer per network namespace: its own BPF object (so edges stay apart per
// pod), a packet socket inside the namespace with the program attached,
// connections open at attach seeded from the socket table, and drain() reading
// the edge counters straight from the kernel's memory (an mmapable array).
import type { Edge } from '../api/edge.js';
import {
  EDGE,
  edgeOfFlow,
  encodeEdgeKey,
  encodeFlowKey,
  encodeFlowVal,
  NO_EDGE,
  STATE,
} from './bpf-abi.js';
import { bpfObjectPath } from './bpf-path.js';
import {
  decodeCounters,
  decodeIdentity,
  type EdgeIdentity,
  isValid,
  KtimeFormatter,
  toEdge,
} from './edge-decode.js';
import { BPF_NOEXIST, BpfObject, mapLookup, mapUpdate } from './libbpf.js';
import { close as closeFd, mmapShared, munmap, PAGE_SIZE } from './libc.js';
import { locateNetns, type NetnsInfo, type NetnsLocation, type NetnsRef } from './netns.js';
import { inNetns } from './netns-thread.js';
import { parseSocketTable, type SeedFlow, seedFlows } from './socket-table.js';
import { DEFAULT_MAX_EDGES, DEFAULT_MAX_FLOWS } from './tracer-defaults.js';

export interface TracerOptions {
  /** Distinct edges kept (default DEFAULT_MAX_EDGES); more are counted as dropped and reported. */
  maxEdges?: number;
  /** Flows (5-tuples) remembered, least recently used evicted (default DEFAULT_MAX_FLOWS). */
  maxFlows?: number;
}

export interface TracerStats {
  /** Edges in the table. */
  edges: number;
  /** New flows not recorded because the edge table was full. */
  edgeDrops: number;
  /** New flows not recorded because the flow table refused them. */
  flowDrops: number;
  /** TCP packets of connections that started before attach and were not seeded. */
  midstream: number;
  /** Connections open at attach, seeded from the socket table. */
  seeded: number;
}

export interface Tracer {
  readonly netns: NetnsInfo;
  /**
   * Edges that are new or changed since the previous drain, with counters
   * cumulative since attach (type 'normal'), then a 'warn' event when flows
   * were dropped since the previous drain. Each edge appears once (slots are
   * unique per key in the kernel).
   */
  drain(): Edge[];
  stats(): TracerStats;
  /** Detaches (closes the socket) and releases every fd and mapping. Idempotent. */
  close(): void;
}

interface Mapping {
  ptr: bigint;
  len: number;
}

const pageAlign = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

class NetnsTracer implements Tracer {
  readonly netns: NetnsInfo;
  readonly progFd: number;
  private socketFd = -1;
  private readonly maps: Mapping[] = [];
  private bytes: Uint8Array;
  private words: Uint32Array;
  private words64: BigUint64Array;
  private state32: Uint32Array;
  private state64: BigUint64Array;
  private readonly lastSig: Float64Array;
  private readonly ids: (EdgeIdentity | undefined)[] = [];
  private readonly seededSlots = new Set<number>();
  private readonly time = KtimeFormatter.now();
  private readonly edgeIdsFd: number;
  private readonly flowsFd: number;
  private seedEdgeDrops = 0;
  private seedCount = 0;
  private reported = { edgeDrops: 0, flowDrops: 0 };
  private closed = false;

  constructor(
    private readonly obj: BpfObject,
    private readonly maxEdges: number,
    loc: NetnsLocation,
  ) {
    this.netns = { ...loc, addrs: [] };
    this.progFd = obj.programFd('netgraph');
    this.edgeIdsFd = obj.mapFd('edge_ids');
    this.flowsFd = obj.mapFd('flows');
    const edges = this.map(obj.mapFd('edges'), pageAlign(maxEdges * EDGE.size));
    const state = this.map(obj.mapFd('.bss'), pageAlign(STATE.size));
    this.bytes = new Uint8Array(edges);
    this.words = new Uint32Array(edges);
    this.words64 = new BigUint64Array(edges);
    this.state32 = new Uint32Array(state, 0, STATE.size / 4);
    this.state64 = new BigUint64Array(state, 0, STATE.size / 8);
    Atomics.store(this.state32, STATE.maxEdges / 4, maxEdges);
    this.lastSig = new Float64Array(maxEdges).fill(-1);
  }

  private map(fd: number, len: number): ArrayBuffer {
    const m = mmapShared(fd, len);
    this.maps.push({ ptr: m.ptr, len });
    return m.buffer;
  }

  /** Takes the attached socket, so close() closes it. */
  adopt(socketFd: number): void {
    this.socketFd = socketFd;
  }

  /** Seeds the flows open at attach (read after attaching) and learns the addresses. */
  seed(addrs: string[], flows: SeedFlow[]): void {
    this.netns.addrs = addrs;
    const nowNs = Number(process.hrtime.bigint());
    for (const f of flows) {
      const idx = this.edgeFor(encodeEdgeKey(edgeOfFlow(f, f.pktType)), nowNs);
      if (idx === NO_EDGE) {
        this.seedEdgeDrops++;
        continue;
      }
      // NOEXIST: if the program already saw this flow start, it counted it.
      if (mapUpdate(this.flowsFd, encodeFlowKey(f), encodeFlowVal(idx), BPF_NOEXIST)) {
        Atomics.add(this.words64, (idx * EDGE.size + EDGE.connections) / 8, 1n);
        this.seededSlots.add(idx);
        this.seedCount++;
      }
    }
  }

  /** edge_for() of the BPF program, from user space: both allocate slots atomically. */
  private edgeFor(key: Buffer, nowNs: number): number {
    const v = Buffer.alloc(4);
    if (mapLookup(this.edgeIdsFd, key, v)) return v.readUInt32LE(0);
    if (Atomics.load(this.state32, STATE.nextEdge / 4) >= this.maxEdges) return NO_EDGE;
    const idx = Atomics.add(this.state32, STATE.nextEdge / 4, 1);
    if (idx >= this.maxEdges) return NO_EDGE;
    const base = idx * EDGE.size;
    this.bytes.set(key, base + EDGE.key);
    this.words64[(base + EDGE.firstSeen) / 8] = BigInt(nowNs);
    v.writeUInt32LE(idx, 0);
    if (!mapUpdate(this.edgeIdsFd, key, v, BPF_NOEXIST)) {
      // The program created it meanwhile: use its slot, leave ours invalid.
      return mapLookup(this.edgeIdsFd, key, v) ? v.readUInt32LE(0) : NO_EDGE;
    }
    Atomics.store(this.words, (base + EDGE.valid) / 4, 1);
    return idx;
  }

  private live(): void {
    if (this.closed) throw new Error(`tracer for ${this.netns.name} is closed`);
  }

  drain(): Edge[] {
    this.live();
    const n = Math.min(Atomics.load(this.state32, STATE.nextEdge / 4), this.maxEdges);
    const out: Edge[] = [];
    for (let i = 0; i < n; i++) {
      if (!isValid(this.words, i)) continue;
      const c = decodeCounters(this.words, i);
      // Every counter grows with one of these three.
      const sig = c.connections + c.packetsSent + c.packetsReceived;
      if (this.lastSig[i] === sig) continue;
      this.lastSig[i] = sig;
      let id = this.ids[i];
      if (!id) {
        id = decodeIdentity(this.bytes, i);
        this.ids[i] = id;
      }
      const e = toEdge(id, c, this.time);
      if (this.seededSlots.has(i)) e.debug = 'seen before attach';
      out.push(e);
    }
    const s = this.stats();
    if (s.edgeDrops > this.reported.edgeDrops) {
      out.push({
        type: 'warn',
        message: `BPF map "edges" full (maxEdges ${this.maxEdges}) in ${this.netns.name}: ${s.edgeDrops - this.reported.edgeDrops} new connections dropped`,
      });
    }
    if (s.flowDrops > this.reported.flowDrops) {
      out.push({
        type: 'warn',
        message: `BPF map "flows" refused new entries in ${this.netns.name}: ${s.flowDrops - this.reported.flowDrops} new connections dropped`,
      });
    }
    this.reported = { edgeDrops: s.edgeDrops, flowDrops: s.flowDrops };
    return out;
  }

  stats(): TracerStats {
    this.live();
    const next = Atomics.load(this.state32, STATE.nextEdge / 4);
    return {
      edges: Math.min(next, this.maxEdges),
      edgeDrops: Number(this.state64[STATE.edgeDrops / 8]) + this.seedEdgeDrops,
      flowDrops: Number(this.state64[STATE.flowDrops / 8]),
      midstream: Number(this.state64[STATE.midstream / 8]),
      seeded: this.seedCount,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing the socket detaches the program; then nothing references the maps.
    if (this.socketFd >= 0) closeFd(this.socketFd);
    // Drop the views before unmapping: touching them afterwards would fault.
    this.bytes = new Uint8Array(0);
    this.words = this.state32 = new Uint32Array(0);
    this.words64 = this.state64 = new BigUint64Array(0);
    for (const m of this.maps.splice(0)) munmap(m.ptr, m.len);
    this.obj.close();
  }
}

function load(opts: TracerOptions, loc: NetnsLocation): NetnsTracer {
  const maxEdges = opts.maxEdges ?? DEFAULT_MAX_EDGES;
  const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
  for (const [k, v] of Object.entries({ maxEdges, maxFlows })) {
    if (!Number.isInteger(v) || v < 1 || v > 1 << 24) throw new Error(`${k} must be 1..16777216`);
  }
  const obj = BpfObject.load(bpfObjectPath('netgraph'), {
    flows: maxFlows,
    edge_ids: maxEdges,
    edges: maxEdges,
  });
  try {
    return new NetnsTracer(obj, maxEdges, loc);
  } catch (err) {
    obj.close();
    throw err;
  }
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
  const results = await inNetns(
    pending.map((p) => ({ path: p.loc.path, progFd: p.tracer.progFd, tables: true })),
  ).catch((err: Error) => pending.map(() => ({ ok: false as const, error: err.message })));
  pending.forEach((p, i) => {
    const r = results[i];
    try {
      if (!r?.ok) throw new Error(`attach in ${p.loc.name}: ${r?.error ?? 'no result'}`);
      if (r.socketFd !== undefined) p.tracer.adopt(r.socketFd);
      if (r.socketFd === undefined || !r.tables) throw new Error(`attach in ${p.loc.name} failed`);
      const entries = [
        ...parseSocketTable(r.tables.tcp, 'tcp'),
        ...parseSocketTable(r.tables.tcp6, 'tcp'),
        ...parseSocketTable(r.tables.udp, 'udp'),
        ...parseSocketTable(r.tables.udp6, 'udp'),
      ];
      p.tracer.seed(r.addrs, seedFlows(entries, r.addrs));
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

/** Attaches to one namespace (see openTracers); throws what prevented it. */
export async function openTracer(netns: NetnsRef, opts?: TracerOptions): Promise<Tracer> {
  const [t] = await openTracers([netns], opts);
  if (!t || t instanceof Error) throw t ?? new Error('no tracer');
  return t;
}
