import { describe, expect, it } from 'vitest';
import { graphParams, ParameterError } from './params.js';

const HOUR = 3_600_000;
const parse = (q: string) => graphParams(new URLSearchParams(q), HOUR);
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
  });
});
