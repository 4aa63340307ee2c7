import { describe, expect, it } from 'vitest';
import { collapse } from './collapse.js';
import { small } from './test-graph.js';

describe('collapsed namespaces', () => {
  it('draws a namespace as one node, edges summed', () => {
    const c = collapse(small, new Set(['demo']));
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
});
