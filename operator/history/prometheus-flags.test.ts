import { describe, expect, it } from 'vitest';
import { parsePrometheusFlags } from './prometheus-flags.js';

describe('parsePrometheusFlags', () => {
  it('is off without --prometheus-url, and takes an http or https URL with its files', () => {
    expect(parsePrometheusFlags({})).toBeUndefined();
    expect(parsePrometheusFlags({ 'prometheus-url': 'http://prometheus:9090' })).toEqual({
      url: 'http://prometheus:9090',
    });
    expect(
      parsePrometheusFlags({
        'prometheus-url': 'https://prometheus.monitoring:9091/prom',
        'prometheus-ca-file': 'package.json',
        'prometheus-token-file': 'package.json',
      }),
    ).toEqual({
      url: 'https://prometheus.monitoring:9091/prom',
      caFile: 'package.json',
      tokenFile: 'package.json',
    });
  });

  it('refuses what cannot work, naming the flag', () => {
    const fault = (v: Record<string, string>) => {
      try {
        parsePrometheusFlags(v);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(fault({ 'prometheus-url': 'prometheus:9090' })).toMatch(/--prometheus-url must be http/);
    expect(fault({ 'prometheus-url': 'not a url' })).toMatch(/--prometheus-url must be a URL/);
    expect(fault({ 'prometheus-token-file': 'package.json' })).toMatch(/need --prometheus-url/);
    expect(
      fault({ 'prometheus-url': 'http://p:9090', 'prometheus-ca-file': 'package.json' }),
    ).toMatch(/--prometheus-ca-file is for an https/);
    expect(
      fault({ 'prometheus-url': 'https://p:9090', 'prometheus-token-file': '/nonexistent/token' }),
    ).toBe('--prometheus-token-file: cannot read "/nonexistent/token"');
  });
});
