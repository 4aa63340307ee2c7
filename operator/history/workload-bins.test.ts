import { describe, expect, it } from 'vitest';
import { BIN_MS } from './bin-log.js';
import type { MatrixSeries } from './prometheus-source.js';
import { WorkloadBins } from './workload-bins.js';

const B0 = 170_000_000; // a bin number: samples at its boundary are at B0 * 10 s
const at = (bin: number) => (bin * BIN_MS) / 1000;
const LABELS = {
  trace: 'demo/t',
  namespace: 'demo',
  workload: 'client',
  workload_kind: 'Deployment',
  pkt_type: 'OUTGOING',
  remote_kind: 'svc',
  remote_namespace: 'demo',
  remote_workload: 'server',
  proto: 'tcp',
  port: '80',
};

/** A series with values at the boundaries of bins B0+i (null: no sample there). */
function series(extra: Record<string, string>, values: (number | null)[]): MatrixSeries {
  return {
    metric: { ...LABELS, ...extra },
    values: values.flatMap((v, i) =>
      v === null ? [] : [[at(B0 + i), String(v)] as [number, string]],
    ),
  };
}

/** [bin - B0, connections, sent, received] of every bin that grew. */
function grown(b: WorkloadBins, from = B0 - 100, to = B0 + 100) {
  const out: number[][] = [];
  b.each(from, to, (bin, edge, c, s, r) => out.push([bin - B0, edge, c, s, r]));
  return out.sort((x, y) => (x[1] ?? 0) - (y[1] ?? 0) || (x[0] ?? 0) - (y[0] ?? 0));
}

describe('WorkloadBins', () => {
  it('counts growth between samples into the bin that ends at the later one', () => {
    const b = new WorkloadBins();
    b.add(B0, B0 + 3, [
      [
        'bytes',
        [
          series({ direction: 'sent' }, [1000, 1500, 1500, 4000]),
          series({ direction: 'received' }, [10, 20, 20, 20]),
        ],
      ],
      ['connections', [series({}, [3, 3, 4, 4])]],
    ]);
    // The first sample is where the counters stood before the book: not growth.
    expect(grown(b)).toEqual([
      [0, 0, 0, 500, 10],
      [1, 0, 1, 0, 0],
      [2, 0, 0, 2500, 0],
    ]);
    expect(b.edges).toEqual([LABELS]);
    expect(b.end).toBe(B0 + 3);
  });

  it('takes a series that shows up after the first sample as new: its first value is growth', () => {
    const b = new WorkloadBins();
    const other = { workload: 'batch', direction: 'sent' };
    b.add(B0, B0 + 3, [
      [
        'bytes',
        [
          series({ direction: 'sent' }, [100, 100, 100, 100]),
          series(other, [null, null, 700, 900]),
        ],
      ],
    ]);
    expect(grown(b)).toEqual([
      [1, 1, 0, 700, 0],
      [2, 1, 0, 200, 0],
    ]);
  });

  it('reads a lower value as a counter started again from zero, and bridges missing samples', () => {
    const b = new WorkloadBins();
    b.add(B0, B0 + 5, [
      ['bytes', [series({ direction: 'sent' }, [500, 800, null, null, 300, 350])]],
    ]);
    expect(grown(b)).toEqual([
      [0, 0, 0, 300, 0],
      [3, 0, 0, 300, 0],
      [4, 0, 0, 50, 0],
    ]);
  });

  it('continues from the last sample of the add before, which it does not count again', () => {
    const b = new WorkloadBins();
    b.add(B0, B0 + 2, [['bytes', [series({ direction: 'sent' }, [100, 200, 300])]]]);
    const later = {
      metric: { ...LABELS, direction: 'sent' },
      values: [300, 350, 450].map((v, i) => [at(B0 + 2 + i), String(v)] as [number, string]),
    };
    const fresh = {
      metric: { ...LABELS, workload: 'batch', direction: 'sent' },
      values: [[at(B0 + 3), '40']] as [number, string][],
    };
    b.add(B0 + 2, B0 + 4, [['bytes', [later, fresh]]]);
    expect(grown(b)).toEqual([
      [0, 0, 0, 100, 0],
      [1, 0, 0, 100, 0],
      [2, 0, 0, 50, 0],
      [3, 0, 0, 100, 0],
      [2, 1, 0, 40, 0],
    ]);
    expect(() => b.add(B0 + 9, B0 + 10, [])).toThrow(/do not continue/);
  });

  it("sums one edge's series (two operator processes) after taking each one's growth", () => {
    const b = new WorkloadBins();
    const old = { direction: 'sent', instance: '10.0.0.5:9090' };
    const restarted = { direction: 'sent', instance: '10.0.0.6:9090' };
    b.add(B0, B0 + 4, [
      [
        'bytes',
        // The old process's series ends; the new one counts only what it saw since.
        [series(old, [100, 400, null, null, null]), series(restarted, [null, null, 30, 90, 95])],
      ],
    ]);
    expect(grown(b)).toEqual([
      [0, 0, 0, 300, 0],
      [1, 0, 0, 30, 0],
      [2, 0, 0, 60, 0],
      [3, 0, 0, 5, 0],
    ]);
    expect(b.edges).toHaveLength(1);
  });

  it('visits only the bins asked for, and leaves out the overflow label set', () => {
    const b = new WorkloadBins();
    b.add(B0, B0 + 3, [
      [
        'bytes',
        [
          series({ direction: 'sent' }, [0, 10, 20, 30]),
          { metric: { remote_kind: 'overflow', direction: 'sent' }, values: [[at(B0 + 1), '99']] },
        ],
      ],
    ]);
    expect(grown(b, B0 + 1, B0 + 1)).toEqual([[1, 0, 0, 10, 0]]);
    expect(b.edges).toHaveLength(1);
  });
});
