import { describe, expect, it } from 'vitest';
import { BIN_MS, type BinVisitor } from './bin-log.js';
import type { EdgeRecord } from './history.js';
import { type EarlyPart, memoryStart, sampling, withEarlyPart } from './prometheus-history.js';

const record = (id: number) => ({ id }) as EdgeRecord;

describe('withEarlyPart', () => {
  it("reads the memory's bins from its first on and the part's before it, records after the view's", () => {
    const MEMORY = 100; // the memory's first bin
    const asked: string[] = [];
    const view = {
      key: 'demo/t',
      records: [record(0), record(1)],
      each(fromMs: number, toMs: number, visit: BinVisitor) {
        asked.push(`memory ${fromMs / BIN_MS}..${toMs / BIN_MS}`);
        visit(MEMORY, 1, 1, 10, 20);
      },
    };
    const part: EarlyPart = {
      records: [record(2)],
      each(from, to, visit) {
        asked.push(`part ${from}..${to}`);
        visit(from, 2, 2, 30, 40);
      },
    };
    const v = withEarlyPart(view, part, MEMORY);
    expect(v.key).toBe('demo/t');
    expect(v.records.map((r) => r.id)).toEqual([0, 1, 2]);
    const seen: number[][] = [];
    v.each(90 * BIN_MS, 105 * BIN_MS, (...d) => seen.push(d));
    expect(asked).toEqual(['memory 100..105', 'part 90..99']);
    expect(seen).toEqual([
      [100, 1, 1, 10, 20],
      [90, 2, 2, 30, 40],
    ]);
    // A window all in memory, or all before it, reads one side only.
    asked.length = 0;
    v.each(101 * BIN_MS, 102 * BIN_MS, () => {});
    v.each(80 * BIN_MS, 95 * BIN_MS, () => {});
    expect(asked).toEqual(['memory 101..102', 'part 80..95']);
  });
});

describe('memoryStart', () => {
  const T = 1_700_000_000_000; // a bin boundary
  const seen = (firstSeen: string) =>
    ({ id: 0, edge: { type: 'normal', firstSeen } }) as EdgeRecord;
  const bin = (ms: number) => ms / BIN_MS;

  it('finds nothing before a trace the memory held from its start', () => {
    const fresh = [seen(new Date(T + 2000).toISOString()), seen(new Date(T - 5000).toISOString())];
    expect(
      memoryStart({ startedAt: T + 1000, end: T + 60_000, records: fresh }, 3_600_000),
    ).toEqual({
      bin: bin(T),
      ranBefore: false,
    });
  });

  it("after a restart, starts at the memory's first whole bin: its agents saw edges before", () => {
    const old = [seen(new Date(T - 60_000).toISOString())];
    expect(memoryStart({ startedAt: T + 1000, end: T + 60_000, records: old }, 3_600_000)).toEqual({
      bin: bin(T) + 1,
      ranBefore: true,
    });
  });

  it('past the window, starts at the oldest bin the memory still holds whole', () => {
    expect(memoryStart({ startedAt: T, end: T + 7_200_000, records: [] }, 3_600_000)).toEqual({
      bin: bin(T + 3_600_000) + 1,
      ranBefore: true,
    });
  });
});

describe('sampling', () => {
  it('reads a span in at most 60 samples, the last one at its end', () => {
    expect(sampling(1000, 1090)).toEqual({ step: 2, first: 1000 }); // 15 minutes: every 20 s
    expect(sampling(1000, 1360)).toEqual({ step: 6, first: 1000 }); // an hour: every minute
    expect(sampling(1001, 1090)).toEqual({ step: 2, first: 1000 }); // starts a step early
    expect(sampling(1000, 1030)).toEqual({ step: 1, first: 1000 });
  });
});
