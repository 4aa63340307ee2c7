import { describe, expect, it } from 'vitest';
import type { Graph } from '../api/graph.js';
import { Groups } from './groups.js';
import { edge, entity, small } from './test-graph.js';

const none = new Set<string>();
const ids = (g: { entities: { id: string }[] }) => g.entities.map((e) => e.id);

/** demo: client, two web pods of one Deployment, a lone pod of a StatefulSet; ops: backup. */
const owned: Graph = {
  entities: [
    { ...entity('demo/pod/client', 'demo'), owner: 'demo/deployment/client' },
    { ...entity('demo/pod/web-1', 'demo'), owner: 'demo/deployment/web' },
    { ...entity('demo/pod/web-2', 'demo'), owner: 'demo/deployment/web' },
    { ...entity('demo/pod/db-0', 'demo'), owner: 'demo/statefulset/db' },
    entity('ops/pod/backup', 'ops'),
    entity('1.1.1.1', '', 'external'),
  ],
  edges: [
    edge('demo/pod/client', 'demo/pod/web-1', 10),
    edge('demo/pod/client', 'demo/pod/web-2', 20),
    edge('demo/pod/web-1', 'demo/pod/db-0', 1),
    edge('ops/pod/backup', 'demo/pod/db-0', 5),
    edge('demo/pod/web-2', '1.1.1.1', 1),
  ],
};

describe('groups', () => {
  it('closes the namespaces given, edges and bytes summed', () => {
    const c = new Groups(small, { limit: Infinity, expanded: none, collapsed: new Set(['demo']) });
    const g = c.graph();
    expect(ids(g)).toEqual(['namespace/demo', 'ops/pod/backup', '1.1.1.1']);
    expect(g.edges.map((e) => [e.id, e.bytesTotal])).toEqual([
      ['namespace/demo->namespace/demo', 60],
      ['ops/pod/backup->namespace/demo', 15],
      ['namespace/demo->1.1.1.1', 3],
    ]);
    const demo = g.entities[0];
    // Inside demo both ends are demo: it sent what each end sent (20 + 40), plus 10 to backup and 1 out.
    expect([demo?.bytesSent, demo?.bytesReceived, demo?.members]).toEqual([71, 67, 3]);
  });

  it('opens a large graph with every namespace closed; opening a large one shows its owners', () => {
    // 6 entities past a limit of 3; demo's 4 past it too.
    const start = new Groups(owned, { limit: 3, expanded: none, collapsed: none });
    expect(ids(start.graph())).toEqual(['namespace/demo', 'namespace/ops', '1.1.1.1']);
    expect(start.groupOf('namespace/demo')).toBe('demo');
    expect(start.groupOf('1.1.1.1')).toBeUndefined();

    const lists = start.toggle('demo');
    expect(lists).toEqual({ expanded: ['demo'], collapsed: [] });
    const demo = new Groups(owned, {
      limit: 3,
      expanded: new Set(lists.expanded),
      collapsed: none,
    });
    const g = demo.graph();
    // web's two pods are one node; a Deployment or StatefulSet of one pod shows the pod.
    expect(ids(g)).toEqual([
      'demo/pod/client',
      'demo/deployment/web',
      'demo/pod/db-0',
      'namespace/ops',
      '1.1.1.1',
    ]);
    expect(g.entities[1]?.members).toBe(2);
    expect(g.edges.map((e) => [e.id, e.bytesTotal])).toContainEqual([
      'demo/pod/client->demo/deployment/web',
      90,
    ]);
    // Closing it again empties the list: the URL says only what differs from the start.
    expect(demo.toggle('demo')).toEqual({ expanded: [], collapsed: [] });
    expect(demo.closable('demo/pod/web-1')).toBe('demo');
  });

  it('opens a namespace within the limit with its pods', () => {
    const start = new Groups(owned, { limit: 4, expanded: none, collapsed: none });
    const g = new Groups(owned, {
      limit: 4,
      expanded: new Set(start.toggle('demo').expanded),
      collapsed: none,
    });
    expect(ids(g.graph())).toEqual([
      'demo/pod/client',
      'demo/pod/web-1',
      'demo/pod/web-2',
      'demo/pod/db-0',
      'namespace/ops',
      '1.1.1.1',
    ]);
    // A user may still close an owner.
    expect(g.toggle('demo/deployment/web')).toEqual({
      expanded: ['demo'],
      collapsed: ['demo/deployment/web'],
    });
  });

  it('reveals a pod: its namespace and its owner opened', () => {
    const start = new Groups(owned, { limit: 3, expanded: none, collapsed: none });
    const lists = start.reveal('demo/pod/web-2');
    expect(lists).toEqual({ expanded: ['demo', 'demo/deployment/web'], collapsed: [] });
    const g = new Groups(owned, {
      limit: 3,
      expanded: new Set(lists.expanded),
      collapsed: none,
    });
    expect(ids(g.graph())).toContain('demo/pod/web-2');
    expect(g.closable('demo/pod/web-2')).toBe('demo/deployment/web');
  });

  it('shows an owner found: its namespace opened, the owner one node', () => {
    const start = new Groups(owned, { limit: 4, expanded: none, collapsed: none });
    expect(start.searchable().map((e) => e.id)).toContain('demo/deployment/web');
    const lists = start.reveal('demo/deployment/web');
    expect(lists).toEqual({ expanded: ['demo'], collapsed: ['demo/deployment/web'] });
    const g = new Groups(owned, {
      limit: 4,
      expanded: new Set(lists.expanded),
      collapsed: new Set(lists.collapsed),
    });
    expect(ids(g.graph())).toContain('demo/deployment/web');
    expect(g.groupOf('demo/deployment/web')).toBe('demo/deployment/web');
  });

  it('closes a namespace of a small graph on request, and opens it again', () => {
    const small2 = new Groups(owned, { limit: 6, expanded: none, collapsed: none });
    expect(small2.graph()).toBe(owned);
    expect(small2.toggle('ops')).toEqual({ expanded: [], collapsed: ['ops'] });
    const closed = new Groups(owned, { limit: 6, expanded: none, collapsed: new Set(['ops']) });
    expect(ids(closed.graph())).toContain('namespace/ops');
    expect(closed.toggle('ops')).toEqual({ expanded: [], collapsed: [] });
  });

  it('groups outside names by domain in a large graph; addresses stay apart', () => {
    const outside: Graph = {
      entities: [
        entity('demo/pod/client', 'demo'),
        entity('api.example.com', '', 'external'),
        entity('cdn.example.com', '', 'external'),
        entity('example.org', '', 'external'),
        entity('203.0.113.7', '', 'external'),
        entity('2001:db8::1', '', 'external'),
      ],
      edges: [
        edge('demo/pod/client', 'api.example.com', 10),
        edge('demo/pod/client', 'cdn.example.com', 20),
        edge('demo/pod/client', 'example.org', 1),
        edge('demo/pod/client', '203.0.113.7', 1),
      ],
    };
    const start = new Groups(outside, { limit: 3, expanded: none, collapsed: none });
    const g = start.graph();
    expect(ids(g)).toEqual([
      'namespace/demo',
      'domain/*.example.com',
      'example.org',
      '203.0.113.7',
      '2001:db8::1',
    ]);
    expect(g.entities[1]).toMatchObject({ kind: 'external', members: 2 });
    expect(g.edges.find((e) => e.target === 'domain/*.example.com')?.bytesTotal).toBe(90);
    // Find shows a name: its domain opens.
    const shown = start.reveal('api.example.com');
    const open = new Groups(outside, {
      limit: 3,
      expanded: new Set(shown.expanded),
      collapsed: new Set(shown.collapsed),
    });
    expect(ids(open.graph())).toContain('api.example.com');
  });
});
