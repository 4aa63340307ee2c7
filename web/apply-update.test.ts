import { describe, expect, it } from 'vitest';
import { applyUpdate } from './apply-update.js';
import { edge, entity, small } from './test-graph.js';

describe('a stream update applied', () => {
  it('removes what went, replaces what changed and adds what appeared', () => {
    const grown = { ...edge('demo/pod/client', 'demo/service/server', 10), bytesTotal: 99 };
    const g = applyUpdate(small, {
      entities: [entity('ops/pod/restore', 'ops')],
      edges: [grown, edge('ops/pod/restore', 'demo/service/server', 7)],
      removedEntities: ['1.1.1.1'],
      removedEdges: ['demo/pod/server->1.1.1.1'],
    });
    expect(g.entities.map((e) => e.id)).toEqual([
      'demo/pod/client',
      'demo/service/server',
      'demo/pod/server',
      'ops/pod/backup',
      'ops/pod/restore',
    ]);
    expect(g.edges.map((e) => [e.id, e.bytesTotal])).toEqual([
      ['demo/pod/client->demo/service/server', 99],
      ['demo/service/server->demo/pod/server', 30],
      ['ops/pod/backup->demo/service/server', 15],
      ['ops/pod/restore->demo/service/server', 21],
    ]);
  });

  it('leaves the graph it was given as it was', () => {
    const before = JSON.stringify(small);
    applyUpdate(small, { entities: [], edges: [], removedEntities: ['1.1.1.1'], removedEdges: [] });
    expect(JSON.stringify(small)).toBe(before);
  });
});
