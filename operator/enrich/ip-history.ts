// Who held an IP, and since when. Pod IPs are reused within seconds of a pod's
// deletion, and edges reach the operator after the fact: an edge is charged to
// the holder of its remote IP at the edge's firstSeen, not to whoever holds it
// when the edge arrives. A few released holders are kept per IP, for a few
// minutes, so that a pod deleted 2 s ago still explains an edge seen 3 s ago.

export interface IpHistoryOptions {
  /** How long a released holder stays known. */
  retentionMs?: number;
  /** How many released holders one IP keeps; the oldest goes first. */
  maxPast?: number;
  now?: () => number;
}

interface Tenure<T> {
  readonly holder: T;
  readonly from: number;
  readonly to: number;
}

interface Entry<T> {
  current: T | undefined;
  /** When current claimed the IP. */
  since: number;
  /** Released holders, oldest first; undefined while the IP never changed hands (the fast path). */
  past: Tenure<T>[] | undefined;
}

export class IpHistory<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly retentionMs: number;
  private readonly maxPast: number;
  private readonly now: () => number;

  /** identity tells two versions of the same holder apart from two holders (a pod's uid). */
  constructor(
    private readonly identity: (holder: T) => string,
    options: IpHistoryOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 5 * 60_000;
    this.maxPast = options.maxPast ?? 4;
    this.now = options.now ?? Date.now;
  }

  /** IPs known, held or recently released. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * holder has the IP from now on. A newer version of the current holder replaces it in place.
   * A holder that lost the IP to another one cannot take it back: that is a stale event
   * (a terminating pod's last status update, arriving after its successor's).
   */
  claim(ip: string, holder: T): void {
    const id = this.identity(holder);
    const e = this.entries.get(ip);
    if (e === undefined) {
      this.entries.set(ip, { current: holder, since: this.now(), past: undefined });
      return;
    }
    if (e.current !== undefined && this.identity(e.current) === id) {
      e.current = holder;
      return;
    }
    if (e.current !== undefined && e.past?.some((t) => this.identity(t.holder) === id)) return;
    const now = this.now();
    if (e.current !== undefined) this.retire(e, now);
    e.current = holder;
    e.since = now;
  }

  /** holder no longer has the IP (deleted, finished, or its IPs changed). */
  release(ip: string, holder: T): void {
    const e = this.entries.get(ip);
    if (e?.current === undefined || this.identity(e.current) !== this.identity(holder)) return;
    this.retire(e, this.now());
  }

  /**
   * The holder of ip when traffic was seen (seenAt, RFC 3339; now if absent or unreadable):
   * the latest to claim it at or before that time, else the earliest known.
   */
  at(ip: string, seenAt?: string): T | undefined {
    const e = this.entries.get(ip);
    if (e === undefined) return undefined;
    const past = e.past;
    if (past === undefined) return e.current;
    const parsed = seenAt ? Date.parse(seenAt) : Number.NaN;
    const t = Number.isNaN(parsed) ? this.now() : parsed;
    if (e.current !== undefined && t >= e.since) return e.current;
    for (let i = past.length - 1; i >= 0; i--) {
      const tenure = past[i] as Tenure<T>;
      if (tenure.from <= t) return tenure.holder;
    }
    return past[0]?.holder;
  }

  /** Forgets holders released more than retentionMs ago, and IPs nobody holds any more. */
  prune(): void {
    const horizon = this.now() - this.retentionMs;
    for (const [ip, e] of this.entries) {
      if (e.past === undefined) continue;
      const kept = e.past.filter((t) => t.to >= horizon);
      e.past = kept.length > 0 ? kept : undefined;
      if (e.past === undefined && e.current === undefined) this.entries.delete(ip);
    }
  }

  private retire(e: Entry<T>, now: number): void {
    const holder = e.current as T;
    e.past ??= [];
    e.past.push({ holder, from: e.since, to: now });
    if (e.past.length > this.maxPast) e.past.shift();
    e.current = undefined;
  }
}
