import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { edge } from '../../test/fake-agents.js';
import { NodeEdgesGatherer } from './node-edges.js';

const on = (node: string, port: number, connections = 1): Edge => ({
  ...edge(port, connections),
  node,
});

function gatherer(peerEdges: Edge[], peers = true) {
  const asked: string[] = [];
  let now = 0;
  const g = new NodeEdgesGatherer(
    {
      hasPeers: () => peers,
      askLines: async <T>(path: string) => {
        asked.push(path);
        return { lines: peerEdges as T[], missing: [] };
      },
    },
    (edges) => [...edges].sort((x, y) => (x.port ?? 0) - (y.port ?? 0)),
    () => now,
  );
  return { g, asked, later: (ms: number) => (now += ms) };
}

describe('NodeEdgesGatherer', () => {
  it('leaves the summary to the run alone when there are no peers', async () => {
    const t = gatherer([], false);
    expect(
      await t.g.gather('gadget/t', { groupBy: 'pod', ips: [] }, () => [], false),
    ).toBeUndefined();
    expect(t.asked).toEqual([]);
  });

  it("adds the peers' nodes to this replica's, a node taken over counted from here only", async () => {
    // b still answers for n2 a moment after handing it over: this replica's n2 wins.
    const t = gatherer([on('n3', 30, 4), on('n2', 20, 1)]);
    const own = [on('n1', 10, 2), on('n2', 20, 5)];
    const all = await t.g.gather('gadget/t', { groupBy: 'pod', ips: [] }, () => [...own], false);
    expect(all?.map((e) => [e.node, e.port, e.connections])).toEqual([
      ['n1', 10, 2],
      ['n2', 20, 5],
      ['n3', 30, 4],
    ]);
    expect(t.asked).toEqual(['/api/v1/traces/gadget/t/node-edges']);
  });

  it('gathers at most every 10 s, its summary standing meanwhile, unless it must be fresh', async () => {
    const t = gatherer([on('n3', 30)]);
    const p = { groupBy: 'pod' as const, ips: [] };
    let reads = 0;
    const own = (port: number) => () => {
      reads++;
      return [on('n1', port)];
    };
    await t.g.gather('gadget/t', p, own(10), false);
    t.later(5000);
    // This replica's edges are not even read: the summary of 5 s ago stands.
    const standing = await t.g.gather('gadget/t', p, own(11), false);
    expect(standing?.map((e) => e.port)).toEqual([10, 30]);
    expect([t.asked.length, reads]).toEqual([1, 1]);
    const fresh = await t.g.gather('gadget/t', p, own(12), true);
    expect(fresh?.map((e) => e.port)).toEqual([12, 30]);
    t.later(11_000);
    await t.g.gather('gadget/t', p, own(13), false);
    expect([t.asked.length, reads]).toEqual([3, 3]);
  });
});
