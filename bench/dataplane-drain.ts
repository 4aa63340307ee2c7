// Drain speed: 100,000 edges in the kernel maps (written from user space with
// bpf_map_update_batch, as if the program had made them), drained and decoded
// into Edge objects. Cold: every edge new (keys decoded); hot: every edge's
// counters changed since the previous drain (the steady state of a busy node).
// Usage: node --expose-gc --import tsx bench/dataplane-drain.ts [--edges 100000] [--runs 5]
import { parseArgs } from 'node:util';
import { DIR, EDGE, encodeEdgeKey, STATE } from '../gadget/dataplane/bpf-abi.js';
import { bpfObjectPath } from '../gadget/dataplane/bpf-path.js';
import { EdgeMaps } from '../gadget/dataplane/edge-maps.js';
import { BpfObject, mapUpdate, mapUpdateBatch } from '../gadget/dataplane/libbpf.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: { edges: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' } },
});
const n = Number(values.edges);
/** The one pod the edges are of. */
const POD = 1;
const runs = Number(values.runs);

/** Fills `edges` (and `edge_ids`, as the program would) with n distinct edges; bumps by `round`. */
function fill(obj: BpfObject, round: number): void {
  const slots = Buffer.alloc(n * EDGE.size);
  const idxs = Buffer.alloc(n * 4);
  const keys = Buffer.alloc(n * 24);
  const now = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const v6 = i % 4 === 3;
    const ip = v6
      ? Uint8Array.from([0xfd, 0, 1, 0x23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i >> 8, i & 0xff])
      : Uint8Array.of(10, 123 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
    const key = encodeEdgeKey(
      {
        pktType: i % 2 ? 'HOST' : 'OUTGOING',
        proto: i % 3 ? 'tcp' : 'udp',
        family: v6 ? 6 : 4,
        ip,
        port: 1024 + (i % 50000),
      },
      POD,
    );
    const b = i * EDGE.size;
    key.copy(slots, b + EDGE.key);
    key.copy(keys, i * 24);
    slots.writeUInt32LE(1, b + EDGE.valid);
    slots.writeBigUInt64LE(BigInt(1 + round), b + EDGE.connections);
    const [sent, received] = [b + EDGE.sent, b + EDGE.received];
    slots.writeBigUInt64LE(BigInt(10 * (round + 1) + i), sent + DIR.packets);
    slots.writeBigUInt64LE(BigInt(12 * (round + 1) + i), received + DIR.packets);
    slots.writeBigUInt64LE(BigInt(1500 * (round + 1) * i), sent + DIR.bytes);
    slots.writeBigUInt64LE(BigInt(900 * (round + 1) * i), received + DIR.bytes);
    slots.writeBigUInt64LE(now - 5_000_000_000n + BigInt(i), b + EDGE.firstSeen);
    slots.writeBigUInt64LE(now - BigInt(i * 1000), sent + DIR.lastSeen);
    slots.writeBigUInt64LE(now - BigInt(i * 2000), received + DIR.lastSeen);
    idxs.writeUInt32LE(i, i * 4);
  }
  mapUpdateBatch(obj.mapFd('edges'), idxs, slots, n);
  if (round === 0) mapUpdateBatch(obj.mapFd('edge_ids'), keys, idxs, n);
  // Every slot taken from the free ring, as the program takes them.
  const state = Buffer.alloc(STATE.size);
  state.writeBigUInt64LE(BigInt(n), STATE.head);
  state.writeBigUInt64LE(BigInt(n), STATE.tail);
  state.writeUInt32LE(n, STATE.maxEdges);
  state.writeUInt32LE(n, STATE.fairShare);
  mapUpdate(obj.mapFd('.bss'), Buffer.alloc(4), state);
}

const cold: number[] = [];
const hot: number[] = [];
// Run 0 warms the JIT up (an agent drains every second: its drain code is hot) and is not counted.
for (let r = 0; r <= runs; r++) {
  const obj = BpfObject.load(bpfObjectPath('netgraph'), {
    flows: 1024,
    edge_ids: n,
    edges: n,
    free_edges: n,
  });
  const maps = new EdgeMaps(obj, n);
  maps.addPod(POD, 'bench');
  try {
    fill(obj, 0);
    global.gc?.();
    let t0 = performance.now();
    const first = maps.drain(POD);
    if (r > 0) cold.push(n / ((performance.now() - t0) / 1000));
    if (first.length !== n) throw new Error(`cold drain returned ${first.length} edges, not ${n}`);
    fill(obj, 1);
    global.gc?.();
    t0 = performance.now();
    const second = maps.drain(POD);
    if (r > 0) hot.push(n / ((performance.now() - t0) / 1000));
    if (second.length !== n) throw new Error(`hot drain returned ${second.length} edges, not ${n}`);
  } finally {
    maps.unmap();
    obj.close();
  }
}
const fmt = (x: number) => `${(x / 1e6).toFixed(2)}M`;
console.log(`drain of ${n} edges, ${runs} runs`);
console.log(
  `cold (all new):     median ${fmt(median(cold))} entries/s  [${cold.map(fmt).join(' ')}]`,
);
console.log(
  `hot (all changed):  median ${fmt(median(hot))} entries/s  [${hot.map(fmt).join(' ')}]`,
);
console.log('target: >= 1.5M entries/s');
console.log(
  `wrote ${writeResults('dataplane-drain', { edges: n, runs, coldPerSec: cold, hotPerSec: hot })}`,
);
