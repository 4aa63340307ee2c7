// The DNS answer parser against answers dns-packet encodes (an independent encoder),
// hand-made hostile ones, and thousands of random and mutated ones (fast-check).
import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DNS_DROP_REASONS, parseDnsAnswer } from './dns-answer.js';

type Answer = dnsPacket.Answer;

function response(question: string, answers: Answer[], extra: Partial<dnsPacket.Packet> = {}) {
  return dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', class: 'IN', name: question }],
    answers,
    ...extra,
  });
}

const header = (flags: number, qd: number, an: number) =>
  [0, 1, flags >> 8, flags & 255, 0, qd, 0, an, 0, 0, 0, 0] as number[];

describe('parseDnsAnswer', () => {
  it('reads A, AAAA and CNAME records, names lowercase', () => {
    const bytes = response('API.Example.com', [
      { type: 'CNAME', name: 'api.example.com', ttl: 300, data: 'edge.Example.NET' },
      { type: 'A', name: 'edge.example.net', ttl: 60, data: '203.0.113.7' },
      { type: 'AAAA', name: 'edge.example.net', ttl: 30, data: '2001:db8::7' },
      { type: 'TXT', name: 'edge.example.net', ttl: 30, data: 'ignored' },
    ]);
    expect(parseDnsAnswer(bytes)).toEqual({
      ok: true,
      answer: {
        question: 'api.example.com',
        records: [
          { type: 'CNAME', name: 'api.example.com', ttl: 300, target: 'edge.example.net' },
          { type: 'A', name: 'edge.example.net', ttl: 60, address: '203.0.113.7' },
          { type: 'AAAA', name: 'edge.example.net', ttl: 30, address: '2001:db8::7' },
        ],
      },
    });
  });

  it('follows compression pointers to earlier names', () => {
    // Question example.com at 12; the answer's name is a pointer to it (0xc00c), and the
    // CNAME target "www" + pointer to 12.
    const q = [7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 0, 1, 0, 1];
    const cname = [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, ...Buffer.from('www'), 0xc0, 12];
    const bytes = Uint8Array.from([...header(0x8180, 1, 1), ...q, ...cname]);
    expect(parseDnsAnswer(bytes)).toEqual({
      ok: true,
      answer: {
        question: 'example.com',
        records: [{ type: 'CNAME', name: 'example.com', ttl: 60, target: 'www.example.com' }],
      },
    });
  });

  it('escapes dots and unprintable bytes inside a label', () => {
    const q = [3, 0x61, 0x2e, 0x0a, 3, ...Buffer.from('COM'), 0, 0, 1, 0, 1];
    const bytes = Uint8Array.from([...header(0x8180, 1, 0), ...q]);
    expect(parseDnsAnswer(bytes)).toMatchObject({
      ok: true,
      answer: { question: 'a\\.\\010.com' },
    });
  });

  it('drops a query, another opcode, or a message without exactly one question', () => {
    const query = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ type: 'A', name: 'a.b' }],
    });
    expect(parseDnsAnswer(query)).toEqual({ ok: false, error: 'not-answer' });
    expect(parseDnsAnswer(Uint8Array.from(header(0x8800 | 0x8000, 1, 0)))).toEqual({
      ok: false,
      error: 'not-answer',
    });
    expect(parseDnsAnswer(Uint8Array.from(header(0x8180, 0, 0)))).toEqual({
      ok: false,
      error: 'not-answer',
    });
    expect(parseDnsAnswer(Uint8Array.from([0x81, 0x80]))).toEqual({
      ok: false,
      error: 'not-answer',
    });
  });

  it('drops compression loops and forward pointers', () => {
    // The question's name points at itself.
    const self = Uint8Array.from([...header(0x8180, 1, 0), 0xc0, 12, 0, 1, 0, 1]);
    expect(parseDnsAnswer(self)).toEqual({ ok: false, error: 'bad-name' });
    // Two names pointing at each other: the answer's name at 29 -> 31 -> 29.
    const q = [1, 0x61, 0, 0, 1, 0, 1];
    const loop = Uint8Array.from([...header(0x8180, 1, 1), ...q, 0xc0, 31, 0xc0, 29]);
    expect(parseDnsAnswer(loop)).toEqual({ ok: false, error: 'bad-name' });
    // A label kind reserved by RFC 6891 (0x40).
    const ext = Uint8Array.from([...header(0x8180, 1, 0), 0x41, 0, 0, 0, 1, 0, 1]);
    expect(parseDnsAnswer(ext)).toEqual({ ok: false, error: 'bad-name' });
  });

  it('drops a name over 255 octets, even one built of pointers', () => {
    const long = `${'a'.repeat(63)}.`.repeat(4);
    const q = long
      .split('.')
      .filter(Boolean)
      .flatMap((l) => [l.length, ...Buffer.from(l)]);
    const bytes = Uint8Array.from([...header(0x8180, 1, 0), ...q, 0, 0, 1, 0, 1]);
    expect(parseDnsAnswer(bytes)).toEqual({ ok: false, error: 'bad-name' });
  });

  it('drops lengths past the end and records of the wrong size', () => {
    const good = response('a.example', [
      { type: 'A', name: 'a.example', ttl: 5, data: '192.0.2.1' },
    ]);
    const rdLength = good.length - 6;
    const past = Uint8Array.from(good);
    past[rdLength + 1] = 200;
    expect(parseDnsAnswer(past)).toEqual({ ok: false, error: 'truncated' });
    const wrongSize = Uint8Array.from([...good, 0]);
    wrongSize[rdLength + 1] = 5;
    expect(parseDnsAnswer(wrongSize)).toEqual({ ok: false, error: 'bad-record' });
    // The header promises two answers, the message holds one.
    const more = Uint8Array.from(good);
    more[7] = 2;
    expect(parseDnsAnswer(more)).toEqual({ ok: false, error: 'truncated' });
  });

  it('keeps the whole records before the capture cut a longer answer', () => {
    const bytes = response(
      'many.example',
      Array.from({ length: 40 }, (_, i) => ({
        type: 'A' as const,
        name: 'many.example',
        ttl: 9,
        data: `198.51.100.${i}`,
      })),
    );
    const first = parseDnsAnswer(bytes.subarray(0, 300), bytes.length);
    expect(first.ok && first.answer.records.length).toBeGreaterThan(5);
    expect(first.ok && first.answer.records.length).toBeLessThan(40);
    // Without a longer wire length, the same bytes claim more than they hold.
    expect(parseDnsAnswer(bytes.subarray(0, 300))).toEqual({ ok: false, error: 'truncated' });
    // A cut inside the question leaves nothing to name.
    expect(parseDnsAnswer(bytes.subarray(0, 16), bytes.length)).toEqual({
      ok: false,
      error: 'truncated',
    });
  });

  it('drops a message over 65,535 bytes', () => {
    expect(parseDnsAnswer(new Uint8Array(70_000))).toEqual({ ok: false, error: 'too-large' });
  });

  it('agrees with dns-packet on every answer it encodes', () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    const ttl = fc.integer({ min: 0, max: 2 ** 31 - 1 });
    const record: fc.Arbitrary<Answer> = fc.oneof(
      fc.record({ type: fc.constant('A' as const), name, ttl, data: fc.ipV4() }),
      fc.record({
        type: fc.constant('AAAA' as const),
        name,
        ttl,
        data: fc
          .uint8Array({ minLength: 16, maxLength: 16 })
          .map((b) =>
            Array.from({ length: 8 }, (_, i) =>
              ((b[2 * i] as number) * 256 + (b[2 * i + 1] as number)).toString(16),
            ).join(':'),
          ),
      }),
      fc.record({ type: fc.constant('CNAME' as const), name, ttl, data: name }),
      fc.record({ type: fc.constant('TXT' as const), name, ttl, data: fc.string() }),
    );
    fc.assert(
      fc.property(name, fc.array(record, { maxLength: 12 }), (q, answers) => {
        const bytes = response(q, answers);
        const ours = parseDnsAnswer(bytes);
        const theirs = dnsPacket.decode(bytes);
        expect(ours.ok).toBe(true);
        if (!ours.ok) return;
        expect(ours.answer.question).toBe(theirs.questions?.[0]?.name);
        const kept = (theirs.answers ?? []).filter((a) => a.type !== 'TXT') as {
          type: string;
          name: string;
          ttl?: number;
          data: string;
        }[];
        expect(ours.answer.records.map((r) => [r.type, r.name, r.ttl])).toEqual(
          kept.map((a) => [a.type, a.name, a.ttl]),
        );
        ours.answer.records.forEach((r, i) => {
          const data = kept[i]?.data;
          if (r.type === 'CNAME') expect(r.target).toBe(data);
          else if (r.type === 'A') expect(r.address).toBe(data);
          else expect(r.address).toBe(new URL(`http://[${data}]`).hostname.slice(1, -1));
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws or hangs on random or mutated answers, and drops with a known reason', () => {
    const seed = response('svc.example.org', [
      { type: 'CNAME', name: 'svc.example.org', ttl: 60, data: 'lb.example.org' },
      { type: 'A', name: 'lb.example.org', ttl: 60, data: '203.0.113.9' },
      { type: 'AAAA', name: 'lb.example.org', ttl: 60, data: '2001:db8::9' },
    ]);
    const mutated = fc
      .array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((edits) => {
        const b = Uint8Array.from(seed);
        for (const [at, v] of edits) b[at] = v;
        return b;
      });
    // Random bytes behind a valid response header, so the parser gets past the first check.
    const random = fc
      .uint8Array({ maxLength: 600 })
      .map((b) => Uint8Array.from([...header(0x8180, 1, b.length % 64), ...b]));
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.oneof(mutated, random, fc.uint8Array({ maxLength: 2000 })),
        fc.nat(3000),
        (b, extra) => {
          const r = parseDnsAnswer(b, b.length + (extra % 2 ? extra : 0));
          if (!r.ok) expect(DNS_DROP_REASONS).toContain(r.error);
          else for (const rec of r.answer.records) expect(rec.name.length).toBeLessThan(1024);
        },
      ),
      { numRuns: 20_000 },
    );
    // 20,000 answers well within a second each: no loop ran long.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
