import { describe, expect, it, vi } from 'vitest';
import { ReverseDns, type ReverseDnsOptions } from './reverse-dns.js';

/** A ReverseDns on an injected resolver and clock; resolved() waits for the next answer. */
function dns(resolve: ReverseDnsOptions['resolve'], options: ReverseDnsOptions = {}) {
  const clock = { now: 0 };
  const answers: [string, string | undefined][] = [];
  let wake: (() => void) | undefined;
  const r = new ReverseDns({
    resolve,
    now: () => clock.now,
    onResolved: (ip, name) => {
      answers.push([ip, name]);
      wake?.();
    },
    ...options,
  });
  const resolved = () => new Promise<void>((w) => (wake = w));
  return { r, clock, answers, resolved };
}

describe('ReverseDns', () => {
  it('answers from the cache only, resolving a miss in the background once', async () => {
    const resolve = vi.fn(async (_ip: string) => ['gateway.example.net.']);
    const { r, answers, resolved } = dns(resolve);
    const done = resolved();
    expect(r.lookup('192.0.2.1')).toBeUndefined();
    expect(r.lookup('192.0.2.1')).toBeUndefined(); // in flight: no second query
    await done;
    expect(r.lookup('192.0.2.1')).toBe('gateway.example.net');
    expect(r.lookup('192.0.2.1')).toBe('gateway.example.net');
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(answers).toEqual([['192.0.2.1', 'gateway.example.net']]);
  });

  it('caches a failure quietly, until the negative TTL passes', async () => {
    const resolve = vi.fn(async (_ip: string): Promise<string[]> => {
      throw Object.assign(new Error('getHostByAddr ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    const { r, clock, resolved } = dns(resolve, { negativeTtlMs: 1_000 });
    let done = resolved();
    r.lookup('192.0.2.2');
    await done;
    expect(r.lookup('192.0.2.2')).toBeUndefined();
    expect(resolve).toHaveBeenCalledTimes(1);
    clock.now += 1_000;
    done = resolved();
    expect(r.lookup('192.0.2.2')).toBeUndefined();
    await done;
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('gives up on a resolver that does not answer within the timeout, and caches that', async () => {
    const resolve = vi.fn((_ip: string) => new Promise<string[]>(() => {}));
    const { r, answers, resolved } = dns(resolve, { timeoutMs: 20 });
    const done = resolved();
    const started = performance.now();
    r.lookup('192.0.2.3');
    await done;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(answers).toEqual([['192.0.2.3', undefined]]);
    r.lookup('192.0.2.3');
    expect(resolve).toHaveBeenCalledTimes(1);
  });

  it('serves an expired name while it is refreshed', async () => {
    let name = 'old.example.net';
    const { r, clock, resolved } = dns(async () => [name], { ttlMs: 1_000 });
    let done = resolved();
    r.lookup('192.0.2.4');
    await done;
    clock.now += 1_000;
    name = 'new.example.net';
    done = resolved();
    expect(r.lookup('192.0.2.4')).toBe('old.example.net');
    await done;
    expect(r.lookup('192.0.2.4')).toBe('new.example.net');
  });

  it('bounds the cache and the queries in flight', async () => {
    const pending: (() => void)[] = [];
    const resolve = vi.fn(
      (ip: string) => new Promise<string[]>((ok) => pending.push(() => ok([`h-${ip}`]))),
    );
    const { r } = dns(resolve, { maxEntries: 2, maxInFlight: 2 });
    for (const ip of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) r.lookup(ip);
    expect(resolve).toHaveBeenCalledTimes(2); // the third waits for a later edge
    for (const answer of pending.splice(0)) answer();
    await vi.waitFor(() => expect(r.size).toBe(2));
    r.lookup('192.0.2.12');
    for (const answer of pending.splice(0)) answer();
    await vi.waitFor(() => expect(r.lookup('192.0.2.12')).toBe('h-192.0.2.12'));
    expect(r.size).toBe(2);
    expect(r.lookup('192.0.2.10')).toBeUndefined(); // the oldest went
  });
});
