// How a closed history bin is stored: its deltas (edge id gap minus one, connections,
// bytes sent, bytes received) in blocks of 64, each field of a block either bit-packed at
// the width of its largest value or, when that is smaller (one busy edge among quiet
// ones), as varints of 7 bits and a continuation bit; one width byte a field a block
// says which. An hour of 10-second bins for 50,000 edges busy in every bin takes about
// 4.8 bytes a delta (the gaps of consecutive ids take no bits at all), against 7.8 as
// varints alone.
import type { BinVisitor } from './bin-log.js';

export const BLOCK = 64;
/** The fields of a delta, in the order they are written. */
const FIELDS = 4;
/** The width byte of a field written as varints. */
const VARINT = 0xff;
/** Above this many bits a field is written as varints (bit operations stop at 32). */
const MAX_WIDTH = 32;

const bitsOf = (n: number): number =>
  n < 2 ** 32 ? 32 - Math.clz32(n) : 32 + bitsOf(Math.floor(n / 2 ** 32));
const varintBits = (n: number): number => 8 * Math.max(1, Math.ceil(bitsOf(n) / 7));

/** Bits appended low bits first, up to 32 at a time; varints whole numbers up to 2^53. */
class BitWriter {
  private pos = 0;
  /** Fewer than 8 bits between writes, so 24 more still fit a 31-bit integer. */
  private acc = 0;
  private accBits = 0;
  constructor(private readonly buf: Uint8Array) {}

  write(v: number, width: number): void {
    if (width > 24) {
      this.write(v & 0xffff, 16);
      this.write(Math.floor(v / 0x10000), width - 16);
      return;
    }
    this.acc |= v << this.accBits;
    this.accBits += width;
    while (this.accBits >= 8) {
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.accBits -= 8;
    }
  }

  writeVarint(n: number): void {
    while (n >= 0x80) {
      this.write((n % 0x80) | 0x80, 8);
      n = Math.floor(n / 0x80);
    }
    this.write(n, 8);
  }

  /** Writes the last partial byte. */
  end(): void {
    if (this.accBits > 0) this.buf[this.pos++] = this.acc;
  }
}

class BitReader {
  pos = 0;
  /** Bits read ahead: fewer than 8 between reads, so a read of up to 24 stays in 31 bits. */
  acc = 0;
  accBits = 0;
  constructor(readonly buf: Uint8Array) {}

  read(width: number): number {
    if (width > 24) return this.read(16) + this.read(width - 16) * 0x10000;
    while (this.accBits < width) {
      this.acc |= (this.buf[this.pos++] ?? 0) << this.accBits;
      this.accBits += 8;
    }
    const v = this.acc & ((1 << width) - 1);
    this.acc >>>= width;
    this.accBits -= width;
    return v;
  }

  readVarint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.read(8);
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }
}

/**
 * Packs one bin: the edges `ids` (ascending) and what each added, [connections, sent,
 * received] at 3*id of `cells` (whole numbers up to 2^53).
 */
export function packDeltas(ids: ArrayLike<number>, cells: ArrayLike<number>): Uint8Array {
  const count = ids.length;
  // Field 0 is the gap to the previous id minus one: 0 for consecutive ids.
  const field = (i: number, f: number): number =>
    f === 0
      ? (ids[i] ?? 0) - (i === 0 ? -1 : (ids[i - 1] ?? 0)) - 1
      : (cells[3 * (ids[i] ?? 0) + f - 1] ?? 0);
  // Each block's width bytes, chosen first so the buffer is allocated once, exactly.
  const blocks = Math.ceil(count / BLOCK);
  const widths = new Uint8Array(blocks * FIELDS);
  let bits = varintBits(count);
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    const to = Math.min(count, from + BLOCK);
    for (let f = 0; f < FIELDS; f++) {
      let max = 0;
      let asVarints = 0;
      for (let i = from; i < to; i++) {
        const v = field(i, f);
        if (v > max) max = v;
        asVarints += varintBits(v);
      }
      const width = bitsOf(max);
      const packed = width * (to - from);
      const varint = width > MAX_WIDTH || asVarints < packed;
      widths[b * FIELDS + f] = varint ? VARINT : width;
      bits += 8 + (varint ? asVarints : packed);
    }
  }
  const out = new Uint8Array(Math.ceil(bits / 8));
  const w = new BitWriter(out);
  w.writeVarint(count);
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    const to = Math.min(count, from + BLOCK);
    for (let f = 0; f < FIELDS; f++) w.write(widths[b * FIELDS + f] ?? 0, 8);
    for (let i = from; i < to; i++)
      for (let f = 0; f < FIELDS; f++) {
        const width = widths[b * FIELDS + f] ?? 0;
        if (width === VARINT) w.writeVarint(field(i, f));
        else w.write(field(i, f), width);
      }
  }
  w.end();
  return out;
}

/** Calls `visit` for each edge's delta of a bin packDeltas packed, edge ids ascending. */
export function unpackDeltas(data: Uint8Array, bin: number, visit: BinVisitor): void {
  const r = new BitReader(data);
  const count = r.readVarint();
  const widths = new Uint8Array(FIELDS);
  const v = [0, 0, 0, 0];
  let edge = -1;
  for (let from = 0; from < count; from += BLOCK) {
    for (let f = 0; f < FIELDS; f++) widths[f] = r.read(8);
    const to = Math.min(count, from + BLOCK);
    const [w0 = 0, w1 = 0, w2 = 0, w3 = 0] = widths;
    if (Math.max(w0, w1, w2, w3) <= 24) {
      // The common block: every field bit-packed within 24 bits, read with local state.
      const buf = r.buf;
      let { acc, accBits: bits, pos } = r;
      for (let i = from; i < to; i++) {
        while (bits < w0) {
          acc |= (buf[pos++] ?? 0) << bits;
          bits += 8;
        }
        const gap = acc & ((1 << w0) - 1);
        acc >>>= w0;
        bits -= w0;
        while (bits < w1) {
          acc |= (buf[pos++] ?? 0) << bits;
          bits += 8;
        }
        const connections = acc & ((1 << w1) - 1);
        acc >>>= w1;
        bits -= w1;
        while (bits < w2) {
          acc |= (buf[pos++] ?? 0) << bits;
          bits += 8;
        }
        const sent = acc & ((1 << w2) - 1);
        acc >>>= w2;
        bits -= w2;
        while (bits < w3) {
          acc |= (buf[pos++] ?? 0) << bits;
          bits += 8;
        }
        const received = acc & ((1 << w3) - 1);
        acc >>>= w3;
        bits -= w3;
        edge += gap + 1;
        visit(bin, edge, connections, sent, received);
      }
      r.acc = acc;
      r.accBits = bits;
      r.pos = pos;
      continue;
    }
    for (let i = from; i < to; i++) {
      for (let f = 0; f < FIELDS; f++) {
        const width = widths[f] ?? 0;
        v[f] = width === VARINT ? r.readVarint() : r.read(width);
      }
      edge += (v[0] ?? 0) + 1;
      visit(bin, edge, v[1] ?? 0, v[2] ?? 0, v[3] ?? 0);
    }
  }
}
