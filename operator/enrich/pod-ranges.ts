// Which node's pod range (spec.podCIDRs) holds an address. With ptp or bridge the CNI
// gives the node itself an address there (the gateway, e.g. 10.244.192.1 in
// 10.244.192.0/24), and the kubelet probes its pods from it, so an address no pod holds
// inside a node's pod range is that node. Enrichment names such an edge's remote
// node/<name> and policy advice counts it as node traffic: both ask this one index.
// Per edge it is one map lookup per prefix length in use (a cluster has one or two).

import { parseCidr, prefixOf } from '../../lib/cidr.js';
import { isV6 } from '../../lib/ip.js';

/** The fields of a node this index reads (NodeRecord has them). */
export interface RangedNode {
  readonly name: string;
  readonly podCIDRs: readonly string[];
}

export class PodRanges<N extends RangedNode = RangedNode> {
  /** Network text (prefixOf's) -> the node whose pod range it is. */
  private readonly byNetwork = new Map<string, N>();
  /** Prefix lengths in use per family, with how many ranges have each. */
  private readonly lengths: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];

  add(node: N): void {
    for (const c of node.podCIDRs) {
      const r = parseCidr(c);
      if (r === undefined) continue;
      this.byNetwork.set(r.network, node);
      const l = this.lengths[r.v6 ? 1 : 0];
      l.set(r.bits, (l.get(r.bits) ?? 0) + 1);
    }
  }

  /** Forgets node's ranges (unless another node has taken one since). */
  remove(node: N): void {
    for (const c of node.podCIDRs) {
      const r = parseCidr(c);
      if (r === undefined) continue;
      if (this.byNetwork.get(r.network) === node) this.byNetwork.delete(r.network);
      const l = this.lengths[r.v6 ? 1 : 0];
      const n = (l.get(r.bits) ?? 0) - 1;
      if (n > 0) l.set(r.bits, n);
      else l.delete(r.bits);
    }
  }

  /** The node whose pod range holds ip (a canonical address), if any. */
  nodeAt(ip: string): N | undefined {
    const l = this.lengths[isV6(ip) ? 1 : 0];
    for (const bits of l.keys()) {
      const n = this.byNetwork.get(prefixOf(ip, bits, bits));
      if (n !== undefined) return n;
    }
    return undefined;
  }
}
