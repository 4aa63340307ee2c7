// The maps of the node's netgraph object, seen from user space: every traced pod's
// edges in one `edges` array, each slot's key naming its pod id. The array, the
// ring of free slots, the per-pod counters and the .bss state are mmaped (shared
// with the kernel), so a drain reads memory instead of making a syscall per edge.
// Slots are taken from the ring by compare-and-swap, as the program does, so
// seeding runs while it runs; they go back to the ring when their pod goes.
//
// One scan of the table serves every pod: a pod's drain takes what the last scan
// found for it, and scans again only once it has taken that.
import type { Edge } from '../../api/edge.js';
import {
  EDGE,
  EDGE_KEY,
  edgeOfFlow,
  encodeEdgeKey,
  encodeFlowKey,
  encodeFlowVal,
  FLOW_CACHE,
  FLOW_KEY,
  FLOW_VAL,
  FREE_EDGE,
  MAX_PODS,
  NO_EDGE,
  POD_STATE,
  SLOT_SPARE,
  SLOT_VALID,
  STATE,
} from './bpf-abi.js';
import type { ConnectOwner } from './connect-owners.js';
import {
  activity,
  addOwner,
  decodeIdentity,
  type EdgeIdentity,
  KtimeFormatter,
  toEdge,
} from './edge-decode.js';
import {
  BPF_NOEXIST,
  type BpfObject,
  mapDelete,
  mapKeys,
  mapLookup,
  mapUpdate,
  possibleCpus,
} from './libbpf.js';
import { mmapShared, munmap, PAGE_SIZE } from './libc.js';
import type { SeedFlow } from './socket-table.js';

export interface EdgeStats {
  /** Edges the pod holds in the node's table. */
  edges: number;
  /** New flows not recorded: no slot for a new edge (the table full, or the pod past its share). */
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
const SLOT_WORDS = EDGE.size / 4;
const POD_WORDS = POD_STATE.size / 4;
const RING_WORDS = FREE_EDGE.size / 4;

/** What user space keeps of a pod with a tracer. */
interface PodEntry {
  name: string;
  /** Changed edges found by scans since its last drain, by slot. */
  pending: Map<number, Edge>;
  /** Whether `pending` holds a scan it has not drained yet. */
  fresh: boolean;
  seeded: number;
  seedEdgeDrops: number;
  reported: { edgeDrops: number; flowDrops: number };
}

export class EdgeMaps {
  private readonly mappings: Mapping[] = [];
  /**
   * The first `slots` slots of `edges`. The kernel maps every page of the range
   * up front (counted in RSS), so the range grows with the slots in use rather
   * than covering maxEdges from the start.
   */
  private edgesMapping?: Mapping;
  private slots = 0;
  private bytes = new Uint8Array(0);
  private words = new Uint32Array(0);
  private words64 = new BigUint64Array(0);
  private state32: Uint32Array;
  private state64: BigUint64Array;
  private ring: Uint32Array;
  private pods32: Uint32Array;
  private pods64: BigUint64Array;
  /** Per slot: connections + packets at the previous scan, to skip unchanged edges. */
  private lastSig = new Float64Array(0);
  private readonly ids: (EdgeIdentity | undefined)[] = [];
  private readonly seededSlots = new Set<number>();
  private readonly time = KtimeFormatter.now();
  private readonly edgesFd: number;
  private readonly edgeIdsFd: number;
  private readonly flowsFd: number;
  private readonly lastFlowFd: number;
  private readonly pods = new Map<number, PodEntry>();

  /** `obj` is loaded with `edges`, `edge_ids` and `free_edges` sized to maxEdges. */
  constructor(
    obj: BpfObject,
    private readonly maxEdges: number,
  ) {
    this.edgeIdsFd = obj.mapFd('edge_ids');
    this.flowsFd = obj.mapFd('flows');
    this.edgesFd = obj.mapFd('edges');
    this.lastFlowFd = obj.mapFd('last_flow');
    try {
      const state = this.map(obj.mapFd('.bss'), STATE.size);
      this.state32 = new Uint32Array(state, 0, STATE.size / 4);
      this.state64 = new BigUint64Array(state, 0, STATE.size / 8);
      this.ring = new Uint32Array(this.map(obj.mapFd('free_edges'), maxEdges * FREE_EDGE.size));
      const pods = this.map(obj.mapFd('pods'), MAX_PODS * POD_STATE.size);
      this.pods32 = new Uint32Array(pods, 0, (MAX_PODS * POD_STATE.size) / 4);
      this.pods64 = new BigUint64Array(pods, 0, (MAX_PODS * POD_STATE.size) / 8);
      // Every slot free, before any program runs.
      for (let i = 0; i < maxEdges; i++) this.ring[i * RING_WORDS] = i;
      this.state32[STATE.maxEdges / 4] = maxEdges;
      this.state32[STATE.reserve / 4] = Math.floor(maxEdges / 4);
      this.state32[STATE.fairShare / 4] = maxEdges;
      Atomics.store(this.state64, STATE.tail / 8, BigInt(maxEdges));
      this.reach(FIRST_SLOTS);
    } catch (err) {
      this.unmap();
      throw err;
    }
  }

  private map(fd: number, size: number): ArrayBuffer {
    const len = pageAlign(size);
    const m = mmapShared(fd, len);
    this.mappings.push({ ptr: m.ptr, len });
    return m.buffer;
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

  /**
   * Slots that may be in use, mapped: the ring starts as 0..maxEdges-1 in order
   * and only ever gets back slots taken before, so none at or past its head.
   */
  private inUse(): number {
    const head = Atomics.load(this.state64, STATE.head / 8);
    const n = head < BigInt(this.maxEdges) ? Number(head) : this.maxEdges;
    this.reach(n);
    return n;
  }

  /**
   * Takes pod id `pod` (1..MAX_PODS-1) for a new tracer named `name` (in warnings):
   * anything a former holder of the id left behind is cleared first.
   */
  addPod(pod: number, name: string): void {
    this.freeSlotsOf(pod);
    this.pods32.fill(0, pod * POD_WORDS, (pod + 1) * POD_WORDS);
    this.pods.set(pod, {
      name,
      pending: new Map(),
      fresh: false,
      seeded: 0,
      seedEdgeDrops: 0,
      reported: { edgeDrops: 0, flowDrops: 0 },
    });
    this.share();
  }

  /**
   * Lets go of pod id `pod` once nothing is attached under it: its cached flow
   * on each CPU, its flows, its edges (their slots back to the ring), its counters.
   */
  removePod(pod: number): void {
    this.pods.delete(pod);
    const none = Buffer.alloc(possibleCpus() * FLOW_CACHE.size);
    for (let slot = 0; slot < FLOW_CACHE.slots; slot++) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(slot);
      mapUpdate(this.lastFlowFd, key, none);
    }
    const keys = mapKeys(this.flowsFd, FLOW_KEY.size, FLOW_VAL.size);
    for (let off = 0; off < keys.length; off += FLOW_KEY.size) {
      if (keys.readUInt16LE(off + FLOW_KEY.pod) === pod)
        mapDelete(this.flowsFd, keys.subarray(off, off + FLOW_KEY.size));
    }
    this.freeSlotsOf(pod);
    this.pods32.fill(0, pod * POD_WORDS, (pod + 1) * POD_WORDS);
    this.share();
  }

  /** The fair share of the table, for the program's rule: max_edges over the pods traced. */
  private share(): void {
    const share = Math.floor(this.maxEdges / Math.max(1, this.pods.size));
    Atomics.store(this.state32, STATE.fairShare / 4, share);
  }

  private podOfSlot(i: number): number {
    const k = i * EDGE.size + EDGE.key + EDGE_KEY.pod;
    return (this.bytes[k] ?? 0) | ((this.bytes[k + 1] ?? 0) << 8);
  }

  private slotState(i: number): number {
    return this.words[i * SLOT_WORDS + EDGE.valid / 4] ?? 0;
  }

  /** Every slot of `pod`, published or spare, back to the ring. */
  private freeSlotsOf(pod: number): void {
    const n = this.inUse();
    for (let i = 0; i < n; i++) {
      const s = this.slotState(i);
      if (s === 0 || this.podOfSlot(i) !== pod) continue;
      if (s === SLOT_VALID) {
        const k = i * EDGE.size + EDGE.key;
        mapDelete(this.edgeIdsFd, this.bytes.subarray(k, k + EDGE_KEY.size));
      }
      this.giveBack(i);
    }
  }

  /** Slot `i` zeroed and put at the ring's tail (user space is the ring's one producer). */
  private giveBack(i: number): void {
    this.bytes.fill(0, i * EDGE.size, (i + 1) * EDGE.size);
    this.ids[i] = undefined;
    this.lastSig[i] = -1;
    this.seededSlots.delete(i);
    const tail = Atomics.load(this.state64, STATE.tail / 8);
    this.ring[Number(tail % BigInt(this.maxEdges)) * RING_WORDS] = i;
    Atomics.store(this.state64, STATE.tail / 8, tail + 1n);
  }

  /** A free slot for a new edge of `pod`, under the program's fair-share rule; NO_EDGE if none. */
  private takeSlot(pod: number): number {
    const headAt = STATE.head / 8;
    for (;;) {
      const head = Atomics.load(this.state64, headAt);
      const free = Atomics.load(this.state64, STATE.tail / 8) - head;
      if (free <= 0n) return NO_EDGE;
      const over =
        (this.pods32[pod * POD_WORDS] ?? 0) >= Atomics.load(this.state32, STATE.fairShare / 4);
      if (over && free <= BigInt(this.state32[STATE.reserve / 4] ?? 0)) return NO_EDGE;
      if (Atomics.compareExchange(this.state64, headAt, head, head + 1n) === head)
        return this.ring[Number(head % BigInt(this.maxEdges)) * RING_WORDS] ?? NO_EDGE;
    }
  }

  /** Seeds flows of `pod` open before attach: their edges get a connection each. */
  seed(pod: number, flows: SeedFlow[]): void {
    const p = this.entry(pod);
    const nowNs = Number(process.hrtime.bigint());
    for (const f of flows) {
      const idx = this.edgeFor(pod, encodeEdgeKey(edgeOfFlow(f, f.pktType), pod), nowNs);
      if (idx === NO_EDGE) {
        p.seedEdgeDrops++;
        continue;
      }
      // NOEXIST: if the program already saw this flow start, it counted it.
      if (mapUpdate(this.flowsFd, encodeFlowKey(f, pod), encodeFlowVal(idx), BPF_NOEXIST)) {
        Atomics.add(this.words64, (idx * EDGE.size + EDGE.connections) / 8, 1n);
        this.seededSlots.add(idx);
        p.seeded++;
      }
    }
  }

  /** edge_for() of the BPF program, from user space. */
  private edgeFor(pod: number, key: Buffer, nowNs: number): number {
    const v = Buffer.alloc(4);
    if (mapLookup(this.edgeIdsFd, key, v)) return v.readUInt32LE(0);
    const idx = this.takeSlot(pod);
    if (idx === NO_EDGE) return NO_EDGE;
    this.reach(idx + 1);
    const base = idx * EDGE.size;
    this.bytes.set(key, base + EDGE.key);
    this.words64[(base + EDGE.firstSeen) / 8] = BigInt(nowNs);
    v.writeUInt32LE(idx, 0);
    if (!mapUpdate(this.edgeIdsFd, key, v, BPF_NOEXIST)) {
      // The program created it meanwhile: use its slot, give ours back.
      this.giveBack(idx);
      return mapLookup(this.edgeIdsFd, key, v) ? v.readUInt32LE(0) : NO_EDGE;
    }
    Atomics.add(this.pods32, pod * POD_WORDS + POD_STATE.edges / 4, 1);
    Atomics.store(this.words, (base + EDGE.valid) / 4, SLOT_VALID);
    return idx;
  }

  private entry(pod: number): PodEntry {
    const p = this.pods.get(pod);
    if (!p) throw new Error(`pod id ${pod} is not traced`);
    return p;
  }

  /**
   * One pass over the table: each traced pod's new or changed edges into its
   * pending set; spare slots (a lost race in the program) back to the ring.
   */
  private scan(): void {
    const n = this.inUse();
    for (let i = 0; i < n; i++) {
      const s = this.slotState(i);
      if (s === 0) continue;
      if (s === SLOT_SPARE) {
        this.giveBack(i);
        continue;
      }
      const p = this.pods.get(this.podOfSlot(i));
      if (!p) continue;
      const sig = activity(this.words, i);
      if (this.lastSig[i] === sig) continue;
      this.lastSig[i] = sig;
      p.pending.set(i, toEdge(this.identity(i), this.words, i, this.time));
    }
    for (const p of this.pods.values()) p.fresh = true;
  }

  /**
   * The edges of `pod` new or changed since its previous drain, counters
   * cumulative, then a 'warn' per kind of drop since then. Slots are unique per
   * key (the kernel's edge_ids maps each key to one slot), so no edge repeats.
   */
  drain(pod: number): Edge[] {
    const p = this.entry(pod);
    if (!p.fresh) this.scan();
    const out = [...p.pending.values()];
    p.pending.clear();
    p.fresh = false;
    const s = this.stats(pod);
    const newEdgeDrops = s.edgeDrops - p.reported.edgeDrops;
    const newFlowDrops = s.flowDrops - p.reported.flowDrops;
    if (newEdgeDrops > 0) {
      out.push({
        type: 'warn',
        message: `no room for new edges of ${p.name} (its share of the node's ${this.maxEdges} edges, --max-edges): ${newEdgeDrops} new connections dropped`,
      });
    }
    if (newFlowDrops > 0) {
      out.push({
        type: 'warn',
        message: `BPF map "flows" refused new entries of ${p.name}: ${newFlowDrops} new connections dropped`,
      });
    }
    p.reported = { edgeDrops: s.edgeDrops, flowDrops: s.flowDrops };
    return out;
  }

  /**
   * Records who opened outgoing connections of `pod`: each owner counts for one
   * connection of its edge, which a drain then reports again.
   */
  addOwners(pod: number, owners: ConnectOwner[]): void {
    const v = Buffer.alloc(4);
    for (const o of owners) {
      if (!mapLookup(this.edgeIdsFd, encodeEdgeKey(o.edge, pod), v)) continue;
      const idx = v.readUInt32LE(0);
      if (idx >= this.inUse() || this.slotState(idx) !== SLOT_VALID) continue;
      addOwner(this.identity(idx), o.pid, o.comm);
      this.lastSig[idx] = -1;
    }
  }

  /** Every edge of `pod` as it is now (counters cumulative), leaving drain()'s bookkeeping alone. */
  snapshot(pod: number): Edge[] {
    const n = this.inUse();
    const out: Edge[] = [];
    for (let i = 0; i < n; i++) {
      if (this.slotState(i) === SLOT_VALID && this.podOfSlot(i) === pod)
        out.push(toEdge(this.identity(i), this.words, i, this.time));
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

  stats(pod: number): EdgeStats {
    const p = this.entry(pod);
    const at = (pod * POD_STATE.size) / 8;
    return {
      edges: this.pods32[pod * POD_WORDS + POD_STATE.edges / 4] ?? 0,
      edgeDrops: Number(this.pods64[at + POD_STATE.edgeDrops / 8]) + p.seedEdgeDrops,
      flowDrops: Number(this.pods64[at + POD_STATE.flowDrops / 8]),
      midstream: Number(this.pods64[at + POD_STATE.midstream / 8]),
      seeded: p.seeded,
    };
  }

  /** Unmaps; the views are dropped first, as touching them afterwards would fault. */
  unmap(): void {
    this.bytes = new Uint8Array(0);
    this.words = this.state32 = this.ring = this.pods32 = new Uint32Array(0);
    this.words64 = this.state64 = this.pods64 = new BigUint64Array(0);
    this.slots = 0;
    if (this.edgesMapping) munmap(this.edgesMapping.ptr, this.edgesMapping.len);
    for (const m of this.mappings.splice(0)) munmap(m.ptr, m.len);
    this.edgesMapping = undefined;
  }
}
