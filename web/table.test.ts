import { describe, expect, it } from 'vitest';
import { tableRows } from './table.js';
import { small } from './test-graph.js';

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe("the table's rows", () => {
  it('sorts by a number column, biggest first, or by text', () => {
    expect(ids(tableRows(small.edges, '', 'bytesTotal', true))).toEqual([
      'demo/pod/client->demo/service/server',
      'demo/service/server->demo/pod/server',
      'ops/pod/backup->demo/service/server',
      'demo/pod/server->1.1.1.1',
    ]);
    expect(ids(tableRows(small.edges, '', 'source', false))[0]).toBe(
      'demo/pod/client->demo/service/server',
    );
  });

  it("keeps only the open entity's edges", () => {
    expect(ids(tableRows(small.edges, 'demo/service/server', 'bytesTotal', false))).toEqual([
      'ops/pod/backup->demo/service/server',
      'demo/pod/client->demo/service/server',
      'demo/service/server->demo/pod/server',
    ]);
  });
});
