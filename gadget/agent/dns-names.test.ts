import { describe, expect, it } from 'vitest';
import type { DnsAnswer, DnsRecord } from './dns-answer.js';
import { DnsNames } from './dns-names.js';

const a = (name: string, address: string, ttl = 30): DnsRecord => ({
  type: 'A',
  name,
  ttl,
  address,
});
const aaaa = (name: string, address: string, ttl = 30): DnsRecord => ({
  type: 'AAAA',
  name,
  ttl,
  address,
});
const cname = (name: string, target: string, ttl = 300): DnsRecord => ({
  type: 'CNAME',
  name,
  ttl,
  target,
});
const answer = (question: string, ...records: DnsRecord[]): DnsAnswer => ({ question, records });

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('DnsNames', () => {
  it('names an address by the name asked, for the TTL plus the grace period', () => {
    const c = clock();
    const names = new DnsNames({ graceMs: 5_000, now: c.now });
    expect(
      names.learn('p', answer('api.example.com', a('api.example.com', '203.0.113.7', 10))),
    ).toBe(1);
    expect(names.nameOf('p', '203.0.113.7')).toEqual({ name: 'api.example.com' });
    c.advance(14_999);
    expect(names.nameOf('p', '203.0.113.7')).toEqual({ name: 'api.example.com' });
    c.advance(1);
    expect(names.nameOf('p', '203.0.113.7')).toBeUndefined();
    expect(names.size).toBe(0);
  });

  it('reports the name asked for a CNAME chain, the canonical name beside it, the shortest TTL on the way', () => {
    const c = clock();
    const names = new DnsNames({ graceMs: 0, now: c.now });
    names.learn(
      'p',
      answer(
        'www.example.com',
        cname('www.example.com', 'www.example.com.cdn.example', 5),
        cname('www.example.com.cdn.example', 'edge-7.cdn.example', 300),
        a('edge-7.cdn.example', '198.51.100.7', 60),
        aaaa('edge-7.cdn.example', '2001:db8::7', 60),
      ),
    );
    const named = { name: 'www.example.com', canonicalName: 'edge-7.cdn.example' };
    expect(names.nameOf('p', '198.51.100.7')).toEqual(named);
    expect(names.nameOf('p', '2001:db8::7')).toEqual(named);
    c.advance(5_000);
    expect(names.nameOf('p', '198.51.100.7')).toBeUndefined();
  });

  it('ignores records of names outside the chain, and a chain that loops', () => {
    const names = new DnsNames();
    expect(
      names.learn(
        'p',
        answer(
          'a.example',
          cname('a.example', 'b.example'),
          cname('b.example', 'a.example'),
          a('b.example', '192.0.2.2'),
          a('bank.example', '192.0.2.66'),
        ),
      ),
    ).toBe(1);
    expect(names.nameOf('p', '192.0.2.2')).toEqual({
      name: 'a.example',
      canonicalName: 'b.example',
    });
    expect(names.nameOf('p', '192.0.2.66')).toBeUndefined();
  });

  it('names only the edges of the pod that received the answer', () => {
    const names = new DnsNames();
    names.learn('forger', answer('bank.example', a('bank.example', '192.0.2.1')));
    expect(names.nameOf('forger', '192.0.2.1')).toEqual({ name: 'bank.example' });
    expect(names.nameOf('victim', '192.0.2.1')).toBeUndefined();
    names.forget('forger');
    expect(names.nameOf('forger', '192.0.2.1')).toBeUndefined();
  });

  it('keeps the newest name of an address and evicts the oldest learned beyond the bound', () => {
    const names = new DnsNames({ maxPerPod: 3 });
    names.learn('p', answer('one.example', a('one.example', '192.0.2.1')));
    names.learn('p', answer('two.example', a('two.example', '192.0.2.2')));
    names.learn('p', answer('three.example', a('three.example', '192.0.2.3')));
    // Learned again (another name for the same address): newest now.
    names.learn('p', answer('uno.example', a('uno.example', '192.0.2.1')));
    names.learn('p', answer('four.example', a('four.example', '192.0.2.4')));
    expect(names.nameOf('p', '192.0.2.2')).toBeUndefined();
    expect(names.nameOf('p', '192.0.2.1')).toEqual({ name: 'uno.example' });
    expect(names.nameOf('p', '192.0.2.4')).toEqual({ name: 'four.example' });
    expect(names.size).toBe(3);
  });

  it('caps a TTL at 7 days', () => {
    const c = clock();
    const names = new DnsNames({ graceMs: 0, now: c.now });
    names.learn('p', answer('long.example', a('long.example', '192.0.2.9', 2 ** 31 - 1)));
    c.advance(604_800_000);
    expect(names.nameOf('p', '192.0.2.9')).toBeUndefined();
  });
});
