import { describe, expect, it } from 'vitest';
import { IpHistory } from './ip-history.js';

interface Holder {
  uid: string;
  v?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function history(options: { maxPast?: number; retentionMs?: number } = {}) {
  const clock = { now: 1_000_000 };
  const h = new IpHistory<Holder>((x) => x.uid, { ...options, now: () => clock.now });
  return { h, clock };
}

describe('IpHistory', () => {
  it('answers the only holder whatever the time, until the IP changes hands', () => {
    const { h } = history();
    const a = { uid: 'a' };
    h.claim('10.0.0.1', a);
    expect(h.at('10.0.0.1', iso(0))).toBe(a);
    expect(h.at('10.0.0.1')).toBe(a);
    expect(h.at('10.0.0.2')).toBeUndefined();
  });

  it('charges an edge to the holder at its firstSeen', () => {
    const { h, clock } = history();
    const a = { uid: 'a' };
    const b = { uid: 'b' };
    h.claim('10.0.0.1', a);
    clock.now += 10_000;
    h.release('10.0.0.1', a); // deleted at +10 s
    clock.now += 2_000;
    h.claim('10.0.0.1', b); // reused at +12 s
    const t0 = 1_000_000;
    expect(h.at('10.0.0.1', iso(t0 + 5_000))).toBe(a);
    expect(h.at('10.0.0.1', iso(t0 + 11_000))).toBe(a); // after a's end, before b: still a
    expect(h.at('10.0.0.1', iso(t0 + 12_000))).toBe(b);
    expect(h.at('10.0.0.1', iso(t0 + 60_000))).toBe(b);
    expect(h.at('10.0.0.1', iso(t0 - 60_000))).toBe(a); // before anything known: the earliest
    expect(h.at('10.0.0.1')).toBe(b); // no firstSeen: now
    expect(h.at('10.0.0.1', 'garbage')).toBe(b);
  });

  it('still explains an edge by a holder released seconds ago, nobody holding the IP since', () => {
    const { h, clock } = history();
    const a = { uid: 'a' };
    h.claim('10.0.0.1', a);
    clock.now += 1_000;
    h.release('10.0.0.1', a);
    clock.now += 2_000;
    expect(h.at('10.0.0.1', iso(clock.now - 3_000))).toBe(a);
  });

  it('replaces a newer version of the current holder without a change of hands', () => {
    const { h } = history();
    h.claim('10.0.0.1', { uid: 'a', v: 1 });
    h.claim('10.0.0.1', { uid: 'a', v: 2 });
    expect(h.at('10.0.0.1', iso(0))?.v).toBe(2);
  });

  it('ignores a stale claim from a holder that already lost the IP', () => {
    const { h, clock } = history();
    const a = { uid: 'a' };
    const b = { uid: 'b' };
    h.claim('10.0.0.1', a);
    clock.now += 1_000;
    h.claim('10.0.0.1', b); // b's event came first
    clock.now += 1_000;
    h.claim('10.0.0.1', a); // a's last status update, late
    h.release('10.0.0.1', a); // a deleted: b keeps it
    expect(h.at('10.0.0.1')).toBe(b);
    expect(h.at('10.0.0.1', iso(1_000_500))).toBe(a);
  });

  it('keeps a bounded number of past holders and forgets them after the retention', () => {
    const { h, clock } = history({ maxPast: 2, retentionMs: 60_000 });
    for (const uid of ['a', 'b', 'c', 'd']) {
      h.claim('10.0.0.1', { uid });
      clock.now += 1_000;
      h.release('10.0.0.1', { uid });
      clock.now += 1_000;
    }
    // a and b fell off: the earliest known is c.
    expect(h.at('10.0.0.1', iso(0))?.uid).toBe('c');
    clock.now += 60_001;
    h.prune();
    expect(h.size).toBe(0);
    expect(h.at('10.0.0.1')).toBeUndefined();
  });

  it('keeps a held IP through prune, dropping only its old tenures', () => {
    const { h, clock } = history({ retentionMs: 60_000 });
    h.claim('10.0.0.1', { uid: 'a' });
    h.claim('10.0.0.1', { uid: 'b' });
    clock.now += 120_000;
    h.prune();
    expect(h.size).toBe(1);
    expect(h.at('10.0.0.1', iso(0))?.uid).toBe('b');
  });
});
