// One trace's traffic in 10-second bins: for each bin, the connections and bytes each
// way that every edge added in it. The bin being filled is kept as plain numbers;
// once time moves past it, it is packed (edge ids ascending, bit-pack.ts) and bins
// older than the window are dropped, so memory follows the busy edge-bins in the window.
import { packDeltas, unpackDeltas } from './bit-pack.js';

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
  /**
   * The open bin: the first openCount of openIds are the edge ids touched, and
   * [connections, sent, received] are at 3*id; typed arrays reused from bin to bin, so
   * filling a bin leaves no garbage to fragment the heap.
   */
  private openIds = new Uint32Array(1024);
  private openCount = 0;
  private cells = new Float64Array(3 * 1024);
  private touched = new Uint8Array(1024);

  /** @param windowBins how many bins to keep, the open one included. */
  constructor(private readonly windowBins: number) {}

  /** Adds an edge's delta at time `ms`; a time before the open bin counts in the open bin. */
  add(ms: number, edge: number, d: Delta): void {
    this.advance(binOf(ms));
    if (edge >= this.touched.length) this.grow(edge);
    if (this.touched[edge] === 0) {
      this.touched[edge] = 1;
      this.openIds[this.openCount++] = edge;
    }
    const i = 3 * edge;
    this.cells[i] = (this.cells[i] ?? 0) + d.connections;
    this.cells[i + 1] = (this.cells[i + 1] ?? 0) + d.bytesSent;
    this.cells[i + 2] = (this.cells[i + 2] ?? 0) + d.bytesReceived;
  }

  /** Moves time to `bin`: packs the open bin when `bin` is past it, drops bins out of the window. */
  advance(bin: number): void {
    if (bin <= this.openBin) return;
    if (this.openCount > 0) this.closed.push({ bin: this.openBin, data: this.pack() });
    this.openBin = bin;
    const oldest = bin - this.windowBins + 1;
    let drop = 0;
    while (drop < this.closed.length && (this.closed[drop]?.bin ?? 0) < oldest) drop++;
    if (drop > 0) this.closed.splice(0, drop);
  }

  /** No more deltas (the trace stopped): packs the open bin and lets its working arrays go. */
  close(): void {
    if (this.openCount > 0) this.closed.push({ bin: this.openBin, data: this.pack() });
    this.openIds = new Uint32Array(0);
    this.cells = new Float64Array(0);
    this.touched = new Uint8Array(0);
  }

  /** Calls `visit` for every edge delta in bins from..to (inclusive), oldest bin first. */
  each(from: number, to: number, visit: BinVisitor): void {
    for (const c of this.closed) {
      if (c.bin < from || c.bin > to) continue;
      unpackDeltas(c.data, c.bin, visit);
    }
    if (this.openBin >= from && this.openBin <= to)
      for (const edge of this.openIds.subarray(0, this.openCount)) {
        const i = 3 * edge;
        visit(
          this.openBin,
          edge,
          this.cells[i] ?? 0,
          this.cells[i + 1] ?? 0,
          this.cells[i + 2] ?? 0,
        );
      }
  }

  /** Bytes held by packed bins (the benchmark's figure). */
  packedBytes(): number {
    let n = 0;
    for (const c of this.closed) n += c.data.byteLength;
    return n;
  }

  private grow(edge: number): void {
    let n = Math.max(1024, this.touched.length);
    while (n <= edge) n *= 2;
    const touched = new Uint8Array(n);
    touched.set(this.touched);
    this.touched = touched;
    const ids = new Uint32Array(n);
    ids.set(this.openIds);
    this.openIds = ids;
    const cells = new Float64Array(3 * n);
    cells.set(this.cells);
    this.cells = cells;
  }

  /** The open bin, packed; its cells are cleared for the next bin. */
  private pack(): Uint8Array {
    const ids = this.openIds.subarray(0, this.openCount).sort();
    const data = packDeltas(ids, this.cells);
    for (const edge of ids) {
      this.cells.fill(0, 3 * edge, 3 * edge + 3);
      this.touched[edge] = 0;
    }
    this.openCount = 0;
    return data;
  }
}
