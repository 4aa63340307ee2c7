// The worker thread that enters pods' network namespaces (gadget/dataplane/netns-thread.ts):
// batch after batch on real namespaces, answered in order, back in the node's namespace
// between them, and the process's memory mappings flat (a thread per batch left koffi's
// call memory mapped: 3 mappings each, and the agent under pod churn made thousands).
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns } from '../../gadget/dataplane/netns-thread.js';
import { makePair, type Pair } from './netns-lib.js';

const root = process.getuid?.() === 0;
const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').length;

describe.skipIf(!root)('netns worker', () => {
  let pair: Pair;
  beforeAll(() => {
    pair = makePair('nsthr', 231);
  });
  afterAll(() => pair?.cleanup());

  it('answers concurrent batches, each in its namespace, and returns to the node namespace', async () => {
    const podIno = statSync(`/var/run/netns/${pair.a}`).ino;
    const hostIno = statSync('/proc/self/ns/net').ino;
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inNetns(
          i % 2
            ? [{ path: `/var/run/netns/${pair.a}`, tables: true }]
            : [{ path: '/proc/self/ns/net' }],
        ),
      ),
    );
    batches.forEach((results, i) => {
      const r = results[0];
      expect(r?.ok).toBe(true);
      if (!r?.ok) return;
      expect(r.ino).toBe(i % 2 ? podIno : hostIno);
      if (i % 2) {
        expect(r.addrs).toContain(pair.v4.a);
        expect(r.tables?.tcp).toMatch(/local_address/);
      }
    });
  });

  it('leaves the memory mappings flat over 300 batches', async () => {
    const job = { path: `/var/run/netns/${pair.a}`, tables: true };
    for (let i = 0; i < 10; i++) await inNetns([job]);
    const before = mappings();
    for (let i = 0; i < 300; i++) await inNetns([job]);
    // A thread per batch: +900 (koffi's 2 MiB stack, its guard page and 1 MiB heap each).
    expect(mappings() - before).toBeLessThan(60);
  });
});
