import { describe, expect, it } from 'vitest';
import { hierarchyLayout, islandLayout } from './layout.js';
import { small } from './test-graph.js';

describe('layouts', () => {
  it('lays requesters left of responders', () => {
    const p = hierarchyLayout(small);
    const x = (id: string) => p.get(id)?.x ?? Number.NaN;
    expect(x('demo/pod/client')).toBeLessThan(x('demo/service/server'));
    expect(x('demo/service/server')).toBeLessThan(x('demo/pod/server'));
    expect(x('demo/pod/server')).toBeLessThan(x('1.1.1.1'));
    expect(x('ops/pod/backup')).toBe(x('demo/pod/client'));
  });

  it('places each namespace on its own island', () => {
    const { positions, islands } = islandLayout(small.entities);
    expect(islands.map((i) => i.namespace)).toEqual(['demo', 'ops', '']);
    for (const e of small.entities) {
      const i = islands.find((x) => x.namespace === e.namespace);
      const p = positions.get(e.id);
      expect(i && p && Math.hypot(p.x - i.x, p.y - i.y) <= i.r).toBe(true);
    }
  });
});
