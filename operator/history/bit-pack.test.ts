import { describe, expect, it } from 'vitest';
import { BLOCK, packDeltas, unpackDeltas } from './bit-pack.js';

/** rows: [edge id (ascending), connections, sent, received]. */
const roundTrip = (rows: number[][]) => {
  const ids = rows.map((r) => r[0] ?? 0);
  const cells = new Float64Array(3 * (Math.max(0, ...ids) + 1));
  for (const [id = 0, c = 0, s = 0, r = 0] of rows) cells.set([c, s, r], 3 * id);
  const data = packDeltas(ids, cells);
  const out: number[][] = [];
  unpackDeltas(data, 7, (bin, edge, connections, sent, received) => {
    expect(bin).toBe(7);
    out.push([edge, connections, sent, received]);
  });
  return { data, out };
};

let seed = 5;
const rand = (n: number) => {
  seed = (seed * 48_271) % 2_147_483_647;
  return Math.floor((seed / 2_147_483_647) * n);
};

describe('packDeltas', () => {
  it('round-trips whole numbers up to 2^53 across block boundaries, ids with and without gaps', () => {
    for (const n of [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7]) {
      let id = -1;
      const rows = Array.from({ length: n }, (_, i) => {
        id += i % 7 === 0 ? 1 + rand(1000) : 1;
        return [
          id,
          rand(3),
          i === 5 ? 2 ** 53 - 1 : i === 9 ? 2 ** 32 + 5 : rand(2 ** 31),
          i % 2 === 0 ? 0 : 2 ** 32 - 1,
        ];
      });
      expect(roundTrip(rows).out).toEqual(rows);
    }
  });

  it('packs busy consecutive edges in under 5 bytes a delta, and one outlier does not widen its block', () => {
    // The benchmark's worst case: every edge in the bin, 0-2 connections, up to 200 kB each way.
    const busy = Array.from({ length: 50_000 }, (_, i) => [
      i,
      rand(3),
      1 + rand(200_000),
      1 + rand(200_000),
    ]);
    const { data, out } = roundTrip(busy);
    expect(out).toEqual(busy);
    expect(data.byteLength / busy.length).toBeLessThan(5);
    // Quiet edges with one that moved 10 GB: varints for that block's bytes, not 34 bits each.
    const quiet = Array.from({ length: BLOCK }, (_, i) => [4 * i, 1, i === 10 ? 1e10 : 100, 50]);
    const q = roundTrip(quiet);
    expect(q.out).toEqual(quiet);
    expect(q.data.byteLength).toBeLessThan(4 * BLOCK);
  });
});
