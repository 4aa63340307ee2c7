// Names for `other` addresses (what Pixie's px.nslookup and ngraph's
// peer_hostname give), from reverse DNS. A lookup never waits: it answers from
// the cache and, on a miss, starts a resolution in the background whose result
// the next edge to that IP gets. Answers are cached both ways (a name, or none),
// so an unreachable or silent DNS server costs one query per IP per negative
// TTL, and fails quietly: no name is all the edge loses.
import { Resolver } from 'node:dns/promises';

/** Names of ip, as dns.reverse gives them; rejects when there are none. */
export type ReverseResolve = (ip: string) => Promise<string[]>;

export interface ReverseDnsOptions {
  /** Default: node:dns with one try of timeoutMs against the system's servers. */
  resolve?: ReverseResolve;
  /** A query not answered by then counts as no name (default 300 ms). */
  timeoutMs?: number;
  /** How long a name is kept (default 5 minutes). */
  ttlMs?: number;
  /** How long "no name" is kept (default 1 minute). */
  negativeTtlMs?: number;
  /** Cache bound; the oldest entry goes first (default 10,000). */
  maxEntries?: number;
  /** Queries in flight at once; lookups beyond it are retried on a later edge (default 32). */
  maxInFlight?: number;
  /** Called when a resolution ends, with the name or undefined. */
  onResolved?: (ip: string, name: string | undefined) => void;
  now?: () => number;
}

interface Cached {
  readonly name: string | undefined;
  readonly expires: number;
}

function systemResolve(timeoutMs: number): ReverseResolve {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return (ip) => resolver.reverse(ip);
}

export class ReverseDns {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Set<string>();
  private readonly resolve: ReverseResolve;
  private readonly timeoutMs: number;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxInFlight: number;
  private readonly onResolved: ((ip: string, name: string | undefined) => void) | undefined;
  private readonly now: () => number;

  constructor(options: ReverseDnsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 300;
    this.resolve = options.resolve ?? systemResolve(this.timeoutMs);
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 32;
    this.onResolved = options.onResolved;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.cache.size;
  }

  /** The cached name of ip, or undefined; a miss or an expired entry starts a resolution. */
  lookup(ip: string): string | undefined {
    const hit = this.cache.get(ip);
    // An expired name is still served while its refresh runs.
    if (hit === undefined || hit.expires <= this.now()) this.start(ip);
    return hit?.name;
  }

  private start(ip: string): void {
    if (this.inFlight.has(ip) || this.inFlight.size >= this.maxInFlight) return;
    this.inFlight.add(ip);
    void this.query(ip).then((name) => {
      this.inFlight.delete(ip);
      this.store(ip, name);
      this.onResolved?.(ip, name);
    });
  }

  /** The first name, without the root's trailing dot; undefined on any failure or timeout. */
  private async query(ip: string): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, undefined);
      timer.unref();
    });
    try {
      const names = await Promise.race([this.resolve(ip), timeout]);
      return names?.[0]?.replace(/\.$/, '') || undefined;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private store(ip: string, name: string | undefined): void {
    // Re-inserting moves the entry to the end of the Map's order: the eviction order.
    this.cache.delete(ip);
    this.cache.set(ip, {
      name,
      expires: this.now() + (name === undefined ? this.negativeTtlMs : this.ttlMs),
    });
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
