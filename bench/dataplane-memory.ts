// Memory: the process's RSS after 50,000 distinct edges were made by real
// traffic (one UDP datagram to each of 50,000 ports of the traced namespace),
// drained into Edge objects and kept, as the local command keeps them.
// Usage: node --expose-gc --import tsx bench/dataplane-memory.ts [--edges 50000]
import { parseArgs } from 'node:util';
import { type Edge, edgeKey } from '../api/edge.js';
import { openTracer } from '../gadget/dataplane/tracer.js';
import { makePair, run } from '../test/netns/netns-lib.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({ options: { edges: { type: 'string', default: '50000' } } });
const n = Number(values.edges);
const mb = (b: number) => Math.round(b / 2 ** 20);
const measure = () => {
  global.gc?.();
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external) };
};

const pair = makePair('mem', 204);
try {
  const before = measure();
  const tracer = await openTracer(pair.b, { maxEdges: n + 1024, maxFlows: n + 1024 });
  try {
    const attached = measure();
    const ports = Array.from({ length: n }, (_, i) => 10000 + i);
    // Several peers: a command line holds a few thousand ports at most.
    for (let i = 0; i < n; i += 5000) {
      await run(pair.a, 'udp-fire', pair.v4.b, ports.slice(i, i + 5000).join(','), 8);
    }
    await new Promise((r) => setTimeout(r, 200));
    const kept = new Map<string, Edge>();
    for (const e of tracer.drain()) if (e.type === 'normal') kept.set(edgeKey(e), e);
    const drained = measure();
    const figures = { edges: kept.size, before, attached, drained, stats: tracer.stats() };
    console.log(`edges drained and kept: ${kept.size} (of ${n} sent)`);
    console.log(
      `RSS: ${before.rssMB} MB before, ${attached.rssMB} MB attached, ${drained.rssMB} MB with the edges`,
    );
    console.log(`heap used: ${drained.heapUsedMB} MB, external: ${drained.externalMB} MB`);
    console.log('target: RSS < 150 MB at 50k edges');
    console.log(`wrote ${writeResults('dataplane-memory', figures)}`);
  } finally {
    tracer.close();
  }
} finally {
  pair.cleanup();
}
