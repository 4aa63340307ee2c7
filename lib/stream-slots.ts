// Live streams a server holds open, bounded in all and per identity, so that one client
// (or many) cannot hold every connection and the memory behind them. A server's kinds
// of stream share one StreamSlots, so the bound is on its streams altogether.

export interface SlotLimits {
  /** Streams open in all. */
  maxStreams: number;
  /** Streams open for one identity (an authenticated user, else an address). */
  maxPerIdentity: number;
}

export interface Slot {
  /** Gives the slot back; a second call does nothing. */
  release(): void;
}

export class StreamSlots {
  private open = 0;
  private readonly perIdentity = new Map<string, number>();

  constructor(readonly limits: SlotLimits) {}

  /** A slot for `identity`, or why there is none (for a 429). */
  take(identity: string): Slot | { refused: string } {
    const mine = this.perIdentity.get(identity) ?? 0;
    if (this.open >= this.limits.maxStreams)
      return { refused: `too many live streams: at most ${this.limits.maxStreams} in all` };
    if (mine >= this.limits.maxPerIdentity)
      return {
        refused: `too many live streams for ${identity}: at most ${this.limits.maxPerIdentity} at once`,
      };
    this.open++;
    this.perIdentity.set(identity, mine + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.open--;
        const n = (this.perIdentity.get(identity) ?? 1) - 1;
        if (n > 0) this.perIdentity.set(identity, n);
        else this.perIdentity.delete(identity);
      },
    };
  }

  /** Streams open now, in all. */
  get size(): number {
    return this.open;
  }
}
