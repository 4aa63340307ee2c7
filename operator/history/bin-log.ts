// One trace's traffic in 10-second bins: for each bin, the connections and bytes each
// way that every edge added in it. The bin being filled is kept as plain numbers;
// once time moves past it, it is packed (edge ids ascending, varint deltas) and bins
// older than the window are dropped, so memory follows the busy edge-bins in the window.
import { VarintReader, VarintWriter } from './varint.js';

export const BIN_MS = 10_000;

/** The bin a time (ms since the epoch) falls in. */
export const binOf = (ms: number): number => Math.floor(ms / BIN_MS);

/** What one edge added in one bin. Sent and received are from the edge's own pod's side. */
export interface Delta {
  connections: number;
  bytesSent: number;
  bytesReceived: number;
}

export type BinVisitor = (
  bin: number,
  edge: number,
  connections: number,
  bytesSent: number,
  bytesReceived: number,
) => void;

interface Closed {
  bin: number;
  data: Uint8Array;
}

export class BinLog {
  private readonly closed: Closed[] = [];
  private openBin = Number.NEGATIVE_INFINITY;
  /** edge id -> [connections, sent, received] added in the open bin. */
  private open = new Map<number, [number, number, number]>();

  /** @param windowBins how many bins to keep, the open one included. */
  constructor(private readonly windowBins: number) {}

  /** Adds an edge's delta at time `ms`; a time before the open bin counts in the open bin. */
  add(ms: number, edge: number, d: Delta): void {
    this.advance(binOf(ms));
    let cell = this.open.get(edge);
    if (cell === undefined) {
      cell = [0, 0, 0];
      this.open.set(edge, cell);
    }
    cell[0] += d.connections;
    cell[1] += d.bytesSent;
    cell[2] += d.bytesReceived;
  }

  /** Moves time to `bin`: packs the open bin when `bin` is past it, drops bins out of the window. */
  advance(bin: number): void {
    if (bin <= this.openBin) return;
    if (this.open.size > 0) this.closed.push({ bin: this.openBin, data: pack(this.open) });
    this.open = new Map();
    this.openBin = bin;
    const oldest = bin - this.windowBins + 1;
    let drop = 0;
    while (drop < this.closed.length && (this.closed[drop]?.bin ?? 0) < oldest) drop++;
    if (drop > 0) this.closed.splice(0, drop);
  }

  /** Calls `visit` for every edge delta in bins from..to (inclusive), oldest bin first. */
  each(from: number, to: number, visit: BinVisitor): void {
    for (const c of this.closed) {
      if (c.bin < from || c.bin > to) continue;
      const r = new VarintReader(c.data);
      let edge = 0;
      while (!r.done) {
        edge += r.read();
        visit(c.bin, edge, r.read(), r.read(), r.read());
      }
    }
    if (this.openBin >= from && this.openBin <= to)
      for (const [edge, [c, s, rcv]] of this.open) visit(this.openBin, edge, c, s, rcv);
  }

  /** Bytes held by packed bins (the benchmark's figure). */
  packedBytes(): number {
    let n = 0;
    for (const c of this.closed) n += c.data.byteLength;
    return n;
  }
}

function pack(open: Map<number, [number, number, number]>): Uint8Array {
  const w = new VarintWriter();
  let prev = 0;
  for (const edge of [...open.keys()].sort((a, b) => a - b)) {
    const [c, s, r] = open.get(edge) as [number, number, number];
    w.write(edge - prev);
    w.write(c);
    w.write(s);
    w.write(r);
    prev = edge;
  }
  return w.bytes();
}
