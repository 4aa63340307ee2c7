// The node's one netgraph BPF object (bpf/netgraph.bpf.c): loaded with the first
// traced pod, its programs attached to every traced pod and its maps shared by all
// of them, each pod's flows and edges under a small id (pod-ids.ts); unloaded with
// the last pod. Its sizes are the node's (--max-edges, --max-flows), set at load.
import { MAX_PODS } from './bpf-abi.js';
import { bpfObjectPath } from './bpf-path.js';
import { DnsRing } from './dns-ring.js';
import { EdgeMaps } from './edge-maps.js';
import { BpfObject } from './libbpf.js';
import { PodIds } from './pod-ids.js';
import { deletePodOf } from './pod-of.js';

export interface NodeSizes {
  /** Distinct edges the node's table holds, every pod together. */
  maxEdges: number;
  /** Flows (5-tuples) remembered, least recently used evicted. */
  maxFlows: number;
}

export class NodeObject {
  readonly maps: EdgeMaps;
  /** The DNS answers the traced pods receive, each pod's taken by its tracer. */
  readonly dns: DnsRing;
  readonly podOfFd: number;
  /** Program fds: the socket filter and the two tc programs. */
  readonly progs: { socket: number; tcxIn: number; tcxOut: number };
  private readonly ids = new PodIds(MAX_PODS);

  constructor(
    private readonly obj: BpfObject,
    readonly sizes: NodeSizes,
  ) {
    this.maps = new EdgeMaps(obj, sizes.maxEdges);
    try {
      this.dns = new DnsRing(obj);
    } catch (err) {
      this.maps.unmap();
      throw err;
    }
    this.podOfFd = obj.mapFd('pod_of');
    this.progs = {
      socket: obj.programFd('netgraph'),
      tcxIn: obj.programFd('netgraph_tcx_in'),
      tcxOut: obj.programFd('netgraph_tcx_out'),
    };
  }

  /** A pod id for a new attachment (`name` goes into warnings); throws when none is left. */
  addPod(name: string): number {
    const id = this.ids.take();
    if (id === undefined)
      throw new Error(`${name}: ${MAX_PODS - 1} pods are traced on this node already`);
    this.maps.addPod(id, name);
    return id;
  }

  /** Once `id`'s attachment is closed: forgets its `pod_of` keys and frees all it held. */
  removePod(id: number, keys: Uint8Array[]): void {
    for (const k of keys) deletePodOf(this.podOfFd, k);
    this.maps.removePod(id);
    this.dns.forget(id);
    this.ids.release(id);
    if (this.ids.count === 0 && loaded === this) {
      loaded = undefined;
      unloadedDnsDrops += this.dns.drops();
      this.maps.unmap();
      this.dns.close();
      this.obj.close();
    }
  }

  /** Kernel memory of the maps (their memlock), in bytes. */
  mapMemory(): number {
    return this.obj.mapMemory();
  }
}

let loaded: NodeObject | undefined;
/** DNS answers dropped by objects since unloaded, so the node's total never goes down. */
let unloadedDnsDrops = 0;

/** The node's object, loaded with `sizes` if it is not yet; it unloads when its last pod goes. */
export function nodeObject(sizes: NodeSizes): NodeObject {
  if (loaded) {
    const s = loaded.sizes;
    if (s.maxEdges !== sizes.maxEdges || s.maxFlows !== sizes.maxFlows)
      throw new Error(
        `the node's BPF maps are loaded with maxEdges ${s.maxEdges} and maxFlows ${s.maxFlows}: sizes change once no pod is traced`,
      );
    return loaded;
  }
  const { maxEdges, maxFlows } = sizes;
  const obj = BpfObject.load(bpfObjectPath('netgraph'), {
    flows: maxFlows,
    edge_ids: maxEdges,
    edges: maxEdges,
    free_edges: maxEdges,
  });
  try {
    loaded = new NodeObject(obj, sizes);
    return loaded;
  } catch (err) {
    obj.close();
    throw err;
  }
}

/** Kernel memory of the node's maps, 0 while no pod is traced. */
export const nodeMapMemory = (): number => loaded?.mapMemory() ?? 0;

/** DNS answers the node's object had no room for (DnsRing.drops), since the agent started. */
export const nodeDnsDrops = (): number => unloadedDnsDrops + (loaded?.dns.drops() ?? 0);
