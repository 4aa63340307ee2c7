import { describe, expect, it } from 'vitest';
import {
  apiQuery,
  DEFAULT_STATE,
  fromLocalInput,
  stateFromURL,
  stateToURL,
  toLocalInput,
} from './view-state.js';

describe('the view in the URL', () => {
  it('leaves defaults out, and reads back what it wrote', () => {
    expect(stateToURL(DEFAULT_STATE)).toBe('');
    const s = {
      ...DEFAULT_STATE,
      trace: 'gadget/network-graph',
      groupBy: 'namespace',
      ips: '10.96.0.1',
      collapsed: 'demo,ops',
      layout: 'hierarchy' as const,
      entity: 'demo/pod/client',
      live: false,
    };
    expect(stateToURL(s)).toBe(
      '?trace=gadget%2Fnetwork-graph&groupBy=namespace&ips=10.96.0.1&collapsed=demo%2Cops&layout=hierarchy&entity=demo%2Fpod%2Fclient&live=false',
    );
    expect(stateFromURL(stateToURL(s))).toEqual(s);
  });

  it('keeps what is expanded, hidden and filtered', () => {
    const s = {
      ...DEFAULT_STATE,
      expanded: 'ns-1,ns-1/deployment/web',
      hidden: 'kube-system,ops/pod/backup',
      hops: '2',
      ports: '53,443',
      protocols: 'udp',
      from: '2026-01-02T14:30:00Z',
      changed: true,
      grouping: false,
    };
    expect(stateFromURL(stateToURL(s))).toEqual(s);
    expect(apiQuery(s)).toEqual({
      from: '2026-01-02T14:30:00Z',
      groupBy: 'pod',
      services: 'show',
      ports: '53,443',
      protocols: 'udp',
      changed: 'true',
    });
  });

  it('shows an RFC 3339 time in a local-time input and reads it back', () => {
    const iso = '2026-01-02T14:30:05Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(toLocalInput('')).toBe('');
    expect(fromLocalInput('')).toBe('');
  });

  it('takes an unknown layout as islands and ignores unknown keys', () => {
    expect(stateFromURL('?layout=spiral&colour=red')).toEqual(DEFAULT_STATE);
  });

  it("asks the API for the view's parameters only, defaults of its own left out", () => {
    const s = { ...DEFAULT_STATE, groupBy: 'namespace', ips: '10.96.0.1', entity: 'x' };
    expect(apiQuery(s)).toEqual({
      start: '-5m',
      groupBy: 'namespace',
      services: 'show',
      ips: '10.96.0.1',
    });
    expect(apiQuery({ ...DEFAULT_STATE, minBytes: '1024', namespaces: 'demo' })).toMatchObject({
      minBytes: '1024',
      namespaces: 'demo',
    });
  });
});
