import { describe, expect, it } from 'vitest';
import { toDot } from './dot.js';
import { small } from './test-graph.js';

describe('the DOT export', () => {
  it('writes Graphviz with namespaces as clusters', () => {
    const dot = toDot(small);
    expect(dot).toContain('subgraph cluster_0 {\n    label="demo";');
    expect(dot).toContain(
      '"demo/pod/client" -> "demo/service/server" [label="30 B", bytes_total=30, bytes_sent=10, bytes_recv=20, connections=1];',
    );
  });
});
