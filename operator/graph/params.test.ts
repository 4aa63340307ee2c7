import { describe, expect, it } from 'vitest';
import { graphParams, ParameterError } from './params.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-01-02T15:00:00Z');
const parse = (q: string) => graphParams(new URLSearchParams(q), HOUR, NOW);
const fault = (q: string) => {
  try {
    parse(q);
  } catch (err) {
    if (err instanceof ParameterError) return [err.parameter, err.message];
    throw err;
  }
  return undefined;
};

describe('graphParams', () => {
  it('has Pixie defaults: the last 5 minutes, by pod, every address', () => {
    expect(parse('')).toEqual({
      startMs: 300_000,
      groupBy: 'pod',
      ips: [],
      services: 'show',
      namespaces: [],
      minBytes: 0,
      ports: [],
      protocols: [],
      changed: false,
    });
  });

  it('reads every parameter, addresses in their one text form', () => {
    const p = parse(
      'start=-30s&groupBy=namespace&ips=10.0.0.1,::ffff:10.0.0.2&services=fold&namespaces=demo,ops&minBytes=1024',
    );
    expect(p).toEqual({
      startMs: 30_000,
      groupBy: 'namespace',
      ips: ['10.0.0.1', '10.0.0.2'],
      services: 'fold',
      namespaces: ['demo', 'ops'],
      minBytes: 1024,
      ports: [],
      protocols: [],
      changed: false,
    });
    expect(
      parse(
        'from=2026-01-02T14:30:00Z&to=2026-01-02T15:50:00%2B01:00&ports=53,8080&protocols=udp,TCP&changed=true',
      ),
    ).toMatchObject({
      fromMs: NOW - 30 * 60_000,
      toMs: NOW - 10 * 60_000,
      ports: [53, 8080],
      protocols: ['udp', 'tcp'],
      changed: true,
    });
  });

  it('names the parameter at fault', () => {
    expect(fault('start=5m')?.[0]).toBe('start');
    expect(fault('start=-2h')).toEqual(['start', expect.stringContaining('--history-window')]);
    expect(fault('groupBy=cluster')?.[0]).toBe('groupBy');
    expect(fault('ips=10.0.0.1,nope')).toEqual(['ips', '"nope" is not an IP address']);
    expect(fault('services=hide')?.[0]).toBe('services');
    expect(fault('namespaces=Demo')?.[0]).toBe('namespaces');
    expect(fault('minBytes=-1')?.[0]).toBe('minBytes');
    expect(fault('grouping=pod')?.[0]).toBe('grouping');
    expect(fault('from=yesterday')?.[0]).toBe('from');
    expect(fault('from=2026-01-02T13:00:00Z')).toEqual([
      'from',
      expect.stringContaining('older than the history'),
    ]);
    expect(fault('to=2026-01-02T16:00:00Z')).toEqual([
      'to',
      expect.stringContaining("after the history's end"),
    ]);
    expect(fault('from=2026-01-02T14:50:00Z&to=2026-01-02T14:40:00Z')?.[0]).toBe('to');
    expect(fault('from=2026-01-02T14:50:00Z&start=-5m')?.[0]).toBe('start');
    expect(fault('ports=http')).toEqual(['ports', '"http" is not a port (1-65535)']);
    expect(fault('ports=0')?.[0]).toBe('ports');
    expect(fault('protocols=sctp')?.[0]).toBe('protocols');
    expect(fault('changed=yes')?.[0]).toBe('changed');
  });
});
