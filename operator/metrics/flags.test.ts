import { describe, expect, it } from 'vitest';
import { parseMetricsFlags } from './flags.js';

describe('parseMetricsFlags', () => {
  it('defaults to workload labels, /24 and /64 networks, 50000 series, a minute of grace', () => {
    expect(parseMetricsFlags({})).toEqual({
      optIn: new Set(),
      peer: { v4: 24, v6: 64 },
      maxSeries: 50_000,
      graceMs: 60_000,
    });
  });

  it('reads every flag', () => {
    const f = parseMetricsFlags({
      'metrics-labels': 'pod,ip',
      'metrics-peer-prefix': '0',
      'metrics-max-series': '1000',
      'metrics-grace': '5s',
    });
    expect(f).toEqual({
      optIn: new Set(['pod', 'ip']),
      peer: { v4: 0, v6: 64 },
      maxSeries: 1000,
      graceMs: 5000,
    });
  });

  it('refuses bad values, naming the flag', () => {
    expect(() => parseMetricsFlags({ 'metrics-labels': 'node' })).toThrow(
      '--metrics-labels takes pod, ip (comma-separated), not "node"',
    );
    expect(() => parseMetricsFlags({ 'metrics-max-series': '5' })).toThrow(/--metrics-max-series/);
    expect(() => parseMetricsFlags({ 'metrics-max-series': '1e3' })).not.toThrow();
    expect(() => parseMetricsFlags({ 'metrics-grace': '-1s' })).toThrow(/--metrics-grace/);
  });
});
