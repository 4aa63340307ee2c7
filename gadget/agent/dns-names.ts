// What each pod learned from the DNS answers it received: address -> the name it
// asked for (and the canonical name at the end of a CNAME chain), for as long as
// the answer's TTL says plus a grace period (a client may connect a little after
// its cache's TTL ran out). Kept per pod, so a pod's answers name only that pod's
// edges: a pod that forges answers mislabels only itself. Bounded per pod; the
// oldest learned address goes first. Pure: the clock is passed in.
import type { DnsAnswer } from './dns-answer.js';

export interface LearnedName {
  /** The name the pod asked for. */
  name: string;
  /** The end of the CNAME chain, when it differs from name. */
  canonicalName?: string;
}

interface Entry extends LearnedName {
  /** ms since the epoch (the `now` clock) when the name is no longer given. */
  expires: number;
}

export interface DnsNamesOptions {
  /** Kept after the TTL ran out (default 60 s). */
  graceMs?: number;
  /** Addresses kept per pod; beyond it the oldest learned goes (default 512). */
  maxPerPod?: number;
  now?: () => number;
}

/** RFC 8767's suggested cap on a TTL (7 days): a forged or silly TTL ends too. */
const MAX_TTL_S = 604_800;
/** CNAMEs followed from the question: more is not a chain a resolver gives. */
const MAX_CHAIN = 16;

export const DEFAULT_DNS_GRACE_MS = 60_000;
export const DEFAULT_DNS_NAMES_PER_POD = 512;

export class DnsNames {
  private readonly pods = new Map<string, Map<string, Entry>>();
  private readonly graceMs: number;
  private readonly maxPerPod: number;
  private readonly now: () => number;

  constructor(options: DnsNamesOptions = {}) {
    this.graceMs = options.graceMs ?? DEFAULT_DNS_GRACE_MS;
    this.maxPerPod = options.maxPerPod ?? DEFAULT_DNS_NAMES_PER_POD;
    this.now = options.now ?? Date.now;
  }

  /**
   * Learns the addresses an answer gives the name the pod asked for: the A and
   * AAAA records of that name or of a name its CNAME chain leads to, each kept
   * for the shortest TTL on its way there. Returns how many addresses it learned.
   */
  learn(pod: string, answer: DnsAnswer): number {
    const chain = new Map<string, number>([[answer.question, MAX_TTL_S]]);
    let at = answer.question;
    let ttl = MAX_TTL_S;
    for (let i = 0; i < MAX_CHAIN; i++) {
      const next = answer.records.find((r) => r.type === 'CNAME' && r.name === at);
      if (next?.type !== 'CNAME' || chain.has(next.target)) break;
      ttl = Math.min(ttl, next.ttl);
      at = next.target;
      chain.set(at, ttl);
    }
    let names = this.pods.get(pod);
    let learned = 0;
    const now = this.now();
    for (const r of answer.records) {
      if (r.type === 'CNAME') continue;
      const chainTtl = chain.get(r.name);
      if (chainTtl === undefined) continue;
      if (!names) {
        names = new Map();
        this.pods.set(pod, names);
      }
      // Learned again: it becomes the newest, with the newest name.
      names.delete(r.address);
      if (names.size >= this.maxPerPod) names.delete(names.keys().next().value as string);
      names.set(r.address, {
        name: answer.question,
        ...(r.name !== answer.question && { canonicalName: r.name }),
        expires: now + Math.min(chainTtl, r.ttl) * 1000 + this.graceMs,
      });
      learned++;
    }
    return learned;
  }

  /** The name the pod learned for ip, if it still holds. */
  nameOf(pod: string, ip: string): LearnedName | undefined {
    const names = this.pods.get(pod);
    const e = names?.get(ip);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      names?.delete(ip);
      return undefined;
    }
    return e.canonicalName ? { name: e.name, canonicalName: e.canonicalName } : { name: e.name };
  }

  /** The pod is gone: what it learned goes with it. */
  forget(pod: string): void {
    this.pods.delete(pod);
  }

  /** Addresses held, over every pod (expired ones not yet looked up included). */
  get size(): number {
    let n = 0;
    for (const names of this.pods.values()) n += names.size;
    return n;
  }
}
