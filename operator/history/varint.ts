// Unsigned varints (7 bits a byte, low bits first) for whole numbers up to 2^53: how
// closed history bins are stored, so one hour of 10-second bins for 50,000 busy edges
// fits in the operator (a delta of a few kilobytes takes 2-3 bytes, not 8).

/** A growable byte buffer that varints are appended to. */
export class VarintWriter {
  private buf: Uint8Array;
  private len = 0;

  /** @param size a first guess of the bytes to be written (the buffer doubles past it). */
  constructor(size = 256) {
    this.buf = new Uint8Array(Math.max(16, size));
  }

  write(n: number): void {
    if (this.len + 8 > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    // Bit operators stop at 32 bits: divide above 2^28.
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** A copy of exactly the bytes written. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads varints in order; `pos` is where the next one starts. */
export class VarintReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  read(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.pos++] ?? 0;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }
}
