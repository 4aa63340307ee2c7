import { describe, expect, it } from 'vitest';
import {
  apiQuery,
  collapse,
  DEFAULT_STATE,
  type Graph,
  hierarchyLayout,
  islandLayout,
  stateFromURL,
  stateToURL,
  toDot,
} from './model.js';

const entity = (id: string, namespace: string, kind = 'pod') => ({
  id,
  kind,
  namespace,
  bytesSent: 0,
  bytesReceived: 0,
});
const edge = (source: string, target: string, bytes: number) => ({
  id: `${source}->${target}`,
  source,
  target,
  connections: 1,
  bytesSent: bytes,
  bytesReceived: 2 * bytes,
  bytesTotal: 3 * bytes,
  ports: ['tcp/80'],
});
const g: Graph = {
  entities: [
    entity('demo/pod/client', 'demo'),
    entity('demo/service/server', 'demo', 'service'),
    entity('demo/pod/server', 'demo'),
    entity('ops/pod/backup', 'ops'),
    entity('1.1.1.1', '', 'external'),
  ],
  edges: [
    edge('demo/pod/client', 'demo/service/server', 10),
    edge('demo/service/server', 'demo/pod/server', 10),
    edge('ops/pod/backup', 'demo/service/server', 5),
    edge('demo/pod/server', '1.1.1.1', 1),
  ],
};

describe('page model', () => {
  it('collapses a namespace into one node, edges summed', () => {
    const c = collapse(g, new Set(['demo']));
    expect(c.entities.map((e) => e.id)).toEqual(['namespace/demo', 'ops/pod/backup', '1.1.1.1']);
    expect(c.edges.map((e) => [e.id, e.bytesTotal])).toEqual([
      ['namespace/demo->namespace/demo', 60],
      ['ops/pod/backup->namespace/demo', 15],
      ['namespace/demo->1.1.1.1', 3],
    ]);
    const demo = c.entities[0];
    // Inside demo both ends are demo: it sent what each end sent (20 + 40), plus 10 to backup and 1 out.
    expect([demo?.bytesSent, demo?.bytesReceived]).toEqual([60 + 10 + 1, 60 + 5 + 2]);
  });

  it('lays requesters left of responders', () => {
    const p = hierarchyLayout(g);
    const x = (id: string) => p.get(id)?.x ?? Number.NaN;
    expect(x('demo/pod/client')).toBeLessThan(x('demo/service/server'));
    expect(x('demo/service/server')).toBeLessThan(x('demo/pod/server'));
    expect(x('demo/pod/server')).toBeLessThan(x('1.1.1.1'));
    expect(x('ops/pod/backup')).toBe(x('demo/pod/client'));
  });

  it('places each namespace on its own island', () => {
    const { positions, islands } = islandLayout(g.entities);
    expect(islands.map((i) => i.namespace)).toEqual(['demo', '', 'ops']);
    for (const e of g.entities) {
      const i = islands.find((x) => x.namespace === e.namespace);
      const p = positions.get(e.id);
      expect(i && p && Math.hypot(p.x - i.x, p.y - i.y) <= i.r).toBe(true);
    }
  });

  it('writes Graphviz with namespaces as clusters', () => {
    const dot = toDot(g);
    expect(dot).toContain('subgraph cluster_0 {\n    label="demo";');
    expect(dot).toContain(
      '"demo/pod/client" -> "demo/service/server" [label="30 B", bytes_total=30, bytes_sent=10, bytes_recv=20, connections=1];',
    );
  });

  it('keeps the view in the URL, defaults left out', () => {
    expect(stateToURL(DEFAULT_STATE)).toBe('');
    const s = {
      ...DEFAULT_STATE,
      trace: 'gadget/network-graph',
      groupBy: 'namespace',
      ips: '10.96.0.1',
      live: false,
    };
    expect(stateFromURL(stateToURL(s))).toEqual(s);
    expect(apiQuery(s)).toBe('start=-5m&groupBy=namespace&services=show&ips=10.96.0.1');
  });
});
