import { describe, expect, it } from 'vitest';
import { findEntities } from './find.js';
import { entity } from './test-graph.js';

const all = [
  entity('ns-1/pod/api-7', 'ns-1'),
  entity('ns-1/pod/api-70', 'ns-1'),
  entity('ns-2/pod/web-api', 'ns-2'),
  entity('ns-2/service/api', 'ns-2', 'service'),
  entity('10.0.0.7', '', 'external'),
];

describe('find', () => {
  it('finds by part of the name, any case, the own name matching first', () => {
    expect(findEntities(all, 'API').map((e) => e.id)).toEqual([
      'ns-2/service/api',
      'ns-1/pod/api-7',
      'ns-1/pod/api-70',
      'ns-2/pod/web-api',
    ]);
    expect(findEntities(all, 'api-7', 1).map((e) => e.id)).toEqual(['ns-1/pod/api-7']);
    expect(findEntities(all, '0.0.7').map((e) => e.id)).toEqual(['10.0.0.7']);
    expect(findEntities(all, '  ')).toEqual([]);
  });
});
