import { describe, expect, it } from 'vitest';
import { small } from './test-graph.js';
import { hide, neighbourhood } from './view-filter.js';

const ids = (g: { entities: { id: string }[] }) => g.entities.map((e) => e.id);

describe('what the view leaves out', () => {
  it('hides an entity or a whole namespace, with their edges', () => {
    const g = hide(small, new Set(['1.1.1.1', 'ops']));
    expect(ids(g)).toEqual(['demo/pod/client', 'demo/service/server', 'demo/pod/server']);
    expect(g.edges.map((e) => e.id)).toEqual([
      'demo/pod/client->demo/service/server',
      'demo/service/server->demo/pod/server',
    ]);
    expect(hide(small, new Set())).toBe(small);
  });

  it('keeps n hops around an entity, either direction', () => {
    expect(ids(neighbourhood(small, 'demo/pod/server', 1))).toEqual([
      'demo/service/server',
      'demo/pod/server',
      '1.1.1.1',
    ]);
    expect(ids(neighbourhood(small, 'demo/pod/server', 2))).toHaveLength(5);
    expect(neighbourhood(small, 'demo/pod/server', 0)).toBe(small);
    expect(neighbourhood(small, 'gone', 1)).toBe(small);
  });
});
