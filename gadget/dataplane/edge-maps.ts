// The maps of one loaded netgraph object, seen from user space: the `edges`
// array and the .bss state are mmaped (shared with the kernel), so a drain reads
// memory instead of making a syscall per edge; slots are allocated with the
// same atomic counter the BPF program uses, so seeding can run while it runs.
import type { Edge } from '../../api/edge.js';
import {
  EDGE,
  edgeOfFlow,
  encodeEdgeKey,
  encodeFlowKey,
  encodeFlowVal,
  NO_EDGE,
  STATE,
} from './bpf-abi.js';
import type { ConnectOwner } from './connect-owners.js';
import {
  activity,
  addOwner,
  decodeIdentity,
  type EdgeIdentity,
  isValid,
  KtimeFormatter,
  toEdge,
} from './edge-decode.js';
import { BPF_NOEXIST, type BpfObject, mapLookup, mapUpdate } from './libbpf.js';
import { mmapShared, munmap, PAGE_SIZE } from './libc.js';
import type { SeedFlow } from './socket-table.js';

export interface EdgeStats {
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

interface Mapping {
  ptr: bigint;
  len: number;
}

const pageAlign = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** Slots mapped at first; the mapping doubles as edges are made. */
const FIRST_SLOTS = 64;

export class EdgeMaps {
  private stateMapping?: Mapping;
  /**
   * The first `slots` slots of `edges`. The kernel maps every page of the range
   * up front (counted in RSS), so the range grows with the edges in use rather
   * than covering maxEdges from the start: a node with 100 traced pods would
   * otherwise hold 77 MB of mostly empty slots.
   */
  private edgesMapping?: Mapping;
  private slots = 0;
  private readonly edgesFd: number;
  private bytes = new Uint8Array(0);
  private words = new Uint32Array(0);
  private words64 = new BigUint64Array(0);
  private state32: Uint32Array;
  private state64: BigUint64Array;
  /** Per slot: connections + packets at the previous drain, to skip unchanged edges. */
  private lastSig = new Float64Array(0);
  private readonly ids: (EdgeIdentity | undefined)[] = [];
  private readonly seededSlots = new Set<number>();
  private readonly time = KtimeFormatter.now();
  private readonly edgeIdsFd: number;
  private readonly flowsFd: number;
  private seedEdgeDrops = 0;
  private seedCount = 0;
  private reported = { edgeDrops: 0, flowDrops: 0 };

  /** `obj` is loaded with `edges` and `edge_ids` sized to maxEdges; `name` goes into warnings. */
  constructor(
    obj: BpfObject,
    private readonly maxEdges: number,
    private readonly name: string,
  ) {
    this.edgeIdsFd = obj.mapFd('edge_ids');
    this.flowsFd = obj.mapFd('flows');
    this.edgesFd = obj.mapFd('edges');
    const len = pageAlign(STATE.size);
    const state = mmapShared(obj.mapFd('.bss'), len);
    this.stateMapping = { ptr: state.ptr, len };
    this.state32 = new Uint32Array(state.buffer, 0, STATE.size / 4);
    this.state64 = new BigUint64Array(state.buffer, 0, STATE.size / 8);
    Atomics.store(this.state32, STATE.maxEdges / 4, maxEdges);
    try {
      this.reach(FIRST_SLOTS);
    } catch (err) {
      this.unmap();
      throw err;
    }
  }

  /** Makes sure the first `n` slots are mapped (n <= maxEdges). */
  private reach(n: number): void {
    if (n <= this.slots) return;
    const slots = Math.min(this.maxEdges, Math.max(n, this.slots * 2, FIRST_SLOTS));
    const len = pageAlign(slots * EDGE.size);
    const m = mmapShared(this.edgesFd, len);
    if (this.edgesMapping) munmap(this.edgesMapping.ptr, this.edgesMapping.len);
    this.edgesMapping = { ptr: m.ptr, len };
    this.bytes = new Uint8Array(m.buffer);
    this.words = new Uint32Array(m.buffer);
    this.words64 = new BigUint64Array(m.buffer);
    const sig = new Float64Array(slots).fill(-1);
    sig.set(this.lastSig);
    this.lastSig = sig;
    this.slots = slots;
  }

  /** Slots in use (allocated by the program or by seeding), mapped. */
  private inUse(): number {
    const n = Math.min(Atomics.load(this.state32, STATE.nextEdge / 4), this.maxEdges);
    this.reach(n);
    return n;
  }

  /** Seeds flows open before attach: their edges get a connection each. */
  seed(flows: SeedFlow[]): void {
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

  /** edge_for() of the BPF program, from user space. */
  private edgeFor(key: Buffer, nowNs: number): number {
    const v = Buffer.alloc(4);
    if (mapLookup(this.edgeIdsFd, key, v)) return v.readUInt32LE(0);
    if (Atomics.load(this.state32, STATE.nextEdge / 4) >= this.maxEdges) return NO_EDGE;
    const idx = Atomics.add(this.state32, STATE.nextEdge / 4, 1);
    if (idx >= this.maxEdges) return NO_EDGE;
    this.reach(idx + 1);
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

  /**
   * Edges new or changed since the previous drain, counters cumulative, then a
   * 'warn' per kind of drop since the previous drain. Slots are unique per key
   * (the kernel's edge_ids maps each key to one slot), so no edge repeats.
   */
  drain(): Edge[] {
    const n = this.inUse();
    const out: Edge[] = [];
    for (let i = 0; i < n; i++) {
      if (!isValid(this.words, i)) continue;
      const sig = activity(this.words, i);
      if (this.lastSig[i] === sig) continue;
      this.lastSig[i] = sig;
      out.push(toEdge(this.identity(i), this.words, i, this.time));
    }
    const s = this.stats();
    const newEdgeDrops = s.edgeDrops - this.reported.edgeDrops;
    const newFlowDrops = s.flowDrops - this.reported.flowDrops;
    if (newEdgeDrops > 0) {
      out.push({
        type: 'warn',
        message: `BPF map "edges" full (maxEdges ${this.maxEdges}) in ${this.name}: ${newEdgeDrops} new connections dropped`,
      });
    }
    if (newFlowDrops > 0) {
      out.push({
        type: 'warn',
        message: `BPF map "flows" refused new entries in ${this.name}: ${newFlowDrops} new connections dropped`,
      });
    }
    this.reported = { edgeDrops: s.edgeDrops, flowDrops: s.flowDrops };
    return out;
  }

  /**
   * Records who opened outgoing connections: each owner counts for one
   * connection of its edge, which drain() then reports again.
   */
  addOwners(owners: ConnectOwner[]): void {
    const v = Buffer.alloc(4);
    for (const o of owners) {
      if (!mapLookup(this.edgeIdsFd, encodeEdgeKey(o.edge), v)) continue;
      const idx = v.readUInt32LE(0);
      if (idx >= this.inUse() || !isValid(this.words, idx)) continue;
      addOwner(this.identity(idx), o.pid, o.comm);
      this.lastSig[idx] = -1;
    }
  }

  /** Every edge as it is now (counters cumulative), leaving drain()'s bookkeeping alone. */
  snapshot(): Edge[] {
    const n = this.inUse();
    const out: Edge[] = [];
    for (let i = 0; i < n; i++) {
      if (isValid(this.words, i)) out.push(toEdge(this.identity(i), this.words, i, this.time));
    }
    return out;
  }

  /** Slot `i`'s key, decoded once. */
  private identity(i: number): EdgeIdentity {
    let id = this.ids[i];
    if (!id) {
      id = decodeIdentity(this.bytes, this.words, i, this.time);
      if (this.seededSlots.has(i)) id.debug = 'seen before attach';
      this.ids[i] = id;
    }
    return id;
  }

  stats(): EdgeStats {
    return {
      edges: Math.min(Atomics.load(this.state32, STATE.nextEdge / 4), this.maxEdges),
      edgeDrops: Number(this.state64[STATE.edgeDrops / 8]) + this.seedEdgeDrops,
      flowDrops: Number(this.state64[STATE.flowDrops / 8]),
      midstream: Number(this.state64[STATE.midstream / 8]),
      seeded: this.seedCount,
    };
  }

  /** Unmaps; the views are dropped first, as touching them afterwards would fault. */
  unmap(): void {
    this.bytes = new Uint8Array(0);
    this.words = this.state32 = new Uint32Array(0);
    this.words64 = this.state64 = new BigUint64Array(0);
    this.slots = 0;
    for (const m of [this.edgesMapping, this.stateMapping]) if (m) munmap(m.ptr, m.len);
    this.edgesMapping = this.stateMapping = undefined;
  }
}
