// Prometheus exposition text written as bytes into fixed-size chunks, each handed to a
// sink (the HTTP response) when full: a 10 MB scrape never exists as one string, as
// thousands of sample strings, or as a second, encoded copy. Sample lines are written
// from parts fixed per metric (name, braces, an extra label) and a label set's text,
// and values as digits, so writing a series allocates nothing. A chunk the sink has sent
// is written again (ChunkPool): a scrape takes the few chunks in flight, not 10 MB more.

export interface ExpositionSink {
  /**
   * Takes a chunk (kept, not copied) and calls sent once it is done with it (sent or
   * not: never twice); returns false when the reader is behind.
   */
  write(chunk: Buffer, sent: () => void): boolean;
  /** Resolves once the reader caught up: true, or false if it went away. */
  drained(): Promise<boolean>;
}

/** The fixed bytes of a metric's sample lines, with or without the label set's text. */
export interface SampleShape {
  /** `name{` */
  readonly open: Buffer;
  /** `,extra} ` or `} ` */
  readonly close: Buffer;
  /** `name{extra} ` or `name ` (a label set with no labels set) */
  readonly bare: Buffer;
}

/** The shape of sample lines of `name`, each with `extra` (one more `k="v"`, or ''). */
export function sampleShape(name: string, extra = ''): SampleShape {
  return {
    open: Buffer.from(`${name}{`),
    close: Buffer.from(`${extra ? `,${extra}` : ''}} `),
    bare: Buffer.from(`${name}${extra ? `{${extra}}` : ''} `),
  };
}

const CHUNK_BYTES = 64 * 1024;
const noop = () => {};

/** Chunks the sink is done with, for the next writes; up to `keep` held between scrapes. */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size = CHUNK_BYTES,
    private readonly keep = 4,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(chunk: Buffer): void {
    if (this.free.length < this.keep) this.free.push(chunk);
  }
}

/** Room a value's digits take at most: 2^53 has 16. */
const NUMBER_ROOM = 24;
const NEWLINE = 10;
const ZERO = 48;

export class ExpositionWriter {
  private chunk: Buffer;
  private at = 0;
  private readonly size: number;
  /** Set when the sink said it is behind: await drained() before writing much more. */
  behind = false;

  constructor(
    private readonly sink: ExpositionSink,
    private readonly pool = new ChunkPool(),
  ) {
    this.size = pool.size;
    this.chunk = pool.take();
  }

  /** Text as UTF-8. */
  text(s: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (this.at + s.length * 3 > this.size) {
      this.flush();
      if (s.length * 3 > this.size) {
        this.hand(Buffer.from(s), undefined);
        return;
      }
    }
    this.at += this.chunk.write(s, this.at);
  }

  bytes(b: Uint8Array): void {
    if (this.at + b.length > this.size) {
      this.flush();
      if (b.length > this.size) {
        this.hand(Buffer.from(b), undefined);
        return;
      }
    }
    this.chunk.set(b, this.at);
    this.at += b.length;
  }

  /** A sample's value as JavaScript prints it (what the text format reads back). */
  number(v: number): void {
    if (!(Number.isSafeInteger(v) && v >= 0)) {
      this.text(String(v));
      return;
    }
    if (this.at + NUMBER_ROOM > this.size) this.flush();
    let digits = 1;
    for (let n = v; n >= 10; n = Math.floor(n / 10)) digits++;
    let n = v;
    for (let i = this.at + digits - 1; i >= this.at; i--) {
      this.chunk[i] = ZERO + (n % 10);
      n = Math.floor(n / 10);
    }
    this.at += digits;
  }

  /** One sample line: `name{inner,extra} value`; inner is a label set's text (or ''). */
  sample(shape: SampleShape, inner: string, value: number): void {
    if (inner) {
      this.bytes(shape.open);
      this.text(inner);
      this.bytes(shape.close);
    } else this.bytes(shape.bare);
    this.number(value);
    if (this.at >= this.size) this.flush();
    this.chunk[this.at++] = NEWLINE;
  }

  /** Hands what is written so far to the sink. */
  flush(): void {
    if (this.at === 0) return;
    const full = this.chunk;
    const written = full.subarray(0, this.at);
    // The sink keeps the chunk until it is sent: write on into another one.
    this.chunk = this.pool.take();
    this.at = 0;
    this.hand(written, full);
  }

  /** Gives the chunk in hand back to the pool: the writer is done (flush first). */
  close(): void {
    this.pool.give(this.chunk);
  }

  /** Waits while the sink is behind: false if its reader went away (stop writing). */
  async drained(): Promise<boolean> {
    if (!this.behind) return true;
    this.behind = false;
    return this.sink.drained();
  }

  /** Hands bytes to the sink; chunk, the pool's buffer they are in, goes back once sent. */
  private hand(written: Buffer, chunk: Buffer | undefined): void {
    const sent = chunk === undefined ? noop : () => this.pool.give(chunk);
    if (!this.sink.write(written, sent)) this.behind = true;
  }
}
