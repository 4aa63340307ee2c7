import { describe, expect, it } from 'vitest';
import { EDGE_BUDGET, edgesNote, splitEdges } from './scale.js';
import { edge, small } from './test-graph.js';

/** `n` edges from a/i to b/i, edge i of `bytes(i)` bytes in all. */
const many = (n: number, bytes: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({ ...edge(`a/${i}`, `b/${i}`, 0), bytesTotal: bytes(i) }));

describe('which edges are drawn strong', () => {
  it('all of them at or under the budget, whatever their bytes', () => {
    const s = splitEdges(small.edges, 4);
    expect([...s.strong].sort()).toEqual(small.edges.map((e) => e.id).sort());
    expect(s.faint).toBe(0);
    const zero = many(3, () => 0);
    expect(splitEdges(zero, 3).strong.size).toBe(3);
    expect(splitEdges([], 3)).toEqual({ strong: new Set(), faint: 0, inside: 0 });
  });

  it('over the budget, the heaviest: exactly the budget, the others faint', () => {
    const edges = many(1000, (i) => (i * 7919) % 1000);
    const s = splitEdges(edges);
    expect(s.strong.size).toBe(EDGE_BUDGET);
    expect(s.faint).toBe(1000 - EDGE_BUDGET);
    const lightestStrong = Math.min(
      ...edges.filter((e) => s.strong.has(e.id)).map((e) => e.bytesTotal),
    );
    const heaviestFaint = Math.max(
      ...edges.filter((e) => !s.strong.has(e.id)).map((e) => e.bytesTotal),
    );
    expect(lightestStrong).toBeGreaterThan(heaviestFaint);
  });

  it('ties at the cut go by id: the budget exactly, the same edges in any order', () => {
    const edges = many(10, (i) => (i < 2 ? 100 : 50));
    const s = splitEdges(edges, 4);
    expect([...s.strong].sort()).toEqual(['a/0->b/0', 'a/1->b/1', 'a/2->b/2', 'a/3->b/3']);
    expect(splitEdges([...edges].reverse(), 4).strong).toEqual(s.strong);
    expect(s.faint).toBe(6);
  });

  it('an edge of no bytes is never strong in a split, so fewer than the budget may be', () => {
    const edges = many(10, (i) => (i < 3 ? 1 : 0));
    const s = splitEdges(edges, 5);
    expect([...s.strong].sort()).toEqual(['a/0->b/0', 'a/1->b/1', 'a/2->b/2']);
    expect(s.faint).toBe(7);
  });

  it('traffic inside a node is no line: in no budget, counted apart', () => {
    const edges = [
      ...many(5, (i) => i + 1),
      { ...edge('ns/x', 'ns/x', 0), bytesTotal: 1e9 },
      { ...edge('ns/y', 'ns/y', 0), bytesTotal: 1e9 },
    ];
    const s = splitEdges(edges, 3);
    expect([...s.strong].sort()).toEqual(['a/2->b/2', 'a/3->b/3', 'a/4->b/4']);
    expect(s).toMatchObject({ faint: 2, inside: 2 });
    expect(splitEdges(edges, 5)).toMatchObject({ faint: 0, inside: 2 });
  });
});

describe("the status line's words for the edges", () => {
  it('says the split when there is one, the count alone when not', () => {
    const edges = many(2039, (i) => i + 1);
    expect(edgesNote(2039, splitEdges(edges, 300))).toBe(
      '2,039 edges: the 300 heaviest drawn strong, 1,739 lighter faint',
    );
    const inside = [
      ...edges.slice(0, 1989),
      ...many(50, () => 5).map((e) => ({ ...e, target: e.source })),
    ];
    expect(edgesNote(2039, splitEdges(inside, 300))).toBe(
      '2,039 edges: the 300 heaviest drawn strong, 1,689 lighter faint, 50 inside a node',
    );
    expect(edgesNote(4, splitEdges(small.edges))).toBe('4 edges');
  });
});
