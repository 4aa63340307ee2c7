// What one run of netgraph's TCX programs costs, from the kernel's own test run
// (BPF_PROG_TEST_RUN, `repeat` runs in a loop, no packet path around them): a
// 64-byte UDP datagram and a full-size TCP segment of a known flow, the common
// case, in each direction, beside an empty tc program (bpf/empty.bpf.c: the
// floor, what the test run itself costs). Steadier than throughput on a shared machine, so a
// change to bpf/netgraph.bpf.c can be judged in seconds; `--object` compares
// other builds of it side by side (for example the previous commit's, from
// `git show HEAD~1:bpf/netgraph.bpf.o > /tmp/old.bpf.o`), rounds alternating.
// A build with the node's shared maps (a `pod_of` map) is set up as the agent does
// (one pod id, the flow's addresses filed under it); an older build of one object
// per pod only gets its edge table's size, which is all it needs to count.
// Usage: node --import tsx bench/dataplane-program.ts [--object a.bpf.o ...] [--rounds 5] [--repeat 1000000]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bpfObjectPath } from '../gadget/dataplane/bpf-path.js';
import { EdgeMaps } from '../gadget/dataplane/edge-maps.js';
import { BpfObject, mapUpdate, testRun } from '../gadget/dataplane/libbpf.js';
import { podKey, setPodOf } from '../gadget/dataplane/pod-of.js';
import { DEFAULT_MAX_EDGES, flowsFor } from '../gadget/dataplane/tracer-defaults.js';
import { frame, TCP_SYN } from '../test/netns/frames.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    object: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '1000000' },
  },
});
const objects = values.object ?? [bpfObjectPath('netgraph')];
const rounds = Number(values.rounds);
const repeat = Number(values.repeat);

const flow = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 };
const udp64 = frame({ ...flow, proto: 'udp', dport: 53, payload: 64 });
const tcp1448 = frame({ ...flow, proto: 'tcp', dport: 80, payload: 1448 });
/** TCP flows start counting from their SYN. */
const syn = frame({ ...flow, proto: 'tcp', dport: 80, flags: TCP_SYN });

const cases = {
  'udp64 in': { prog: 'netgraph_tcx_in', packet: udp64 },
  'udp64 out': { prog: 'netgraph_tcx_out', packet: udp64 },
  'tcp1448 in': { prog: 'netgraph_tcx_in', packet: tcp1448 },
  'tcp1448 out': { prog: 'netgraph_tcx_out', packet: tcp1448 },
};
type Case = keyof typeof cases;

/** The pod the test run's packets count for: both ends of the flow are its addresses, so each direction counts. */
const POD = 1;

function load(path: string): { path: string; obj: BpfObject; maps?: EdgeMaps } {
  const shared = readFileSync(path).includes('pod_of');
  const sizes = {
    flows: flowsFor(DEFAULT_MAX_EDGES),
    edge_ids: DEFAULT_MAX_EDGES,
    edges: DEFAULT_MAX_EDGES,
  };
  const obj = BpfObject.load(path, shared ? { ...sizes, free_edges: DEFAULT_MAX_EDGES } : sizes);
  let maps: EdgeMaps | undefined;
  if (shared) {
    maps = new EdgeMaps(obj, DEFAULT_MAX_EDGES);
    maps.addPod(POD, 'bench');
    for (const a of [flow.src, flow.dst]) setPodOf(obj.mapFd('pod_of'), podKey(a, 'tcx'), POD);
  } else {
    // struct state of an object per pod: next_edge, then max_edges.
    const state = Buffer.alloc(32);
    state.writeUInt32LE(DEFAULT_MAX_EDGES, 4);
    mapUpdate(obj.mapFd('.bss'), Buffer.alloc(4), state);
  }
  for (const prog of ['netgraph_tcx_in', 'netgraph_tcx_out']) testRun(obj.programFd(prog), syn);
  return { path, obj, maps };
}
const loaded = objects.map(load);

const empty = BpfObject.load(bpfObjectPath('empty'), {}, ['empty_tcx']);
const floor: number[] = [];
const ns: Record<string, Record<Case, number[]>> = {};
try {
  for (let r = 0; r < rounds; r++) {
    floor.push(testRun(empty.programFd('empty_tcx'), cases['udp64 in'].packet, { repeat }).ns);
    const order = r % 2 ? [...loaded].reverse() : loaded;
    for (const { path, obj } of order) {
      ns[path] ??= Object.fromEntries(Object.keys(cases).map((c) => [c, []])) as unknown as Record<
        Case,
        number[]
      >;
      for (const [name, c] of Object.entries(cases) as [Case, (typeof cases)[Case]][]) {
        const run = testRun(obj.programFd(c.prog), c.packet, { repeat });
        if (run.retval !== -1) throw new Error(`${c.prog} returned ${run.retval}, not TCX_NEXT`);
        ns[path]?.[name].push(run.ns);
      }
    }
  }
  console.log(
    `empty tc program: ${median(floor)} ns a run (rounds ${Math.min(...floor)}..${Math.max(...floor)})`,
  );
  for (const { path, maps } of loaded) {
    console.log(`${path}${maps ? `: ${maps.drain(POD).length} edges counted` : ''}`);
    for (const [name, xs] of Object.entries(ns[path] ?? {})) {
      console.log(
        `  ${name.padEnd(12)} ${median(xs)} ns a run (rounds ${Math.min(...xs)}..${Math.max(...xs)})`,
      );
    }
  }
  console.log(`wrote ${writeResults('dataplane-program', { rounds, repeat, floor, ns })}`);
} finally {
  empty.close();
  for (const { obj, maps } of loaded) {
    maps?.unmap();
    obj.close();
  }
}
