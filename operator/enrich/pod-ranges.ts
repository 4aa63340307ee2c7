// Which node's pod range (spec.podCIDRs) holds an address. With ptp or bridge the CNI
// gives the node itself an address there (the gateway, e.g. 10.244.192.1 in
// 10.244.192.0/24), and the kubelet probes its pods from it, so an address no pod holds
// inside a node's pod range is that node. Enrichment names such an edge's remote
// node/<name> and policy advice counts it as node traffic: both ask this one index.
// Every `other` edge asks, so a lookup is one map get per prefix length in use (a
// cluster has one per family): IPv4 keys are numbers (no string built per edge), and
// an IPv6 address's network text is memoized (edges repeat a few thousand addresses).
import { parseCidr, prefixOf, v4Number } from '../../lib/cidr.js';
import { isV6 } from '../../lib/ip.js';

/** The fields of a node this index reads (NodeRecord has them). */
export interface RangedNode {
  readonly name: string;
  readonly podCIDRs: readonly string[];
}

/** The networks of one prefix length: IPv4 as the number of their leading bits, IPv6 as text. */
interface Length<K, N> {
  readonly bits: number;
  readonly networks: Map<K, N>;
}

/** IPv6 address -> its network text at the length: prefixOf parses and formats (microseconds). */
const NETWORK_MEMO_MAX = 16_384;
const networkMemos = new Map<number, Map<string, string>>();

function v6Network(ip: string, bits: number): string {
  let memo = networkMemos.get(bits);
  if (memo === undefined) {
    memo = new Map();
    networkMemos.set(bits, memo);
  }
  let net = memo.get(ip);
  if (net === undefined) {
    net = prefixOf(ip, bits, bits);
    // Bounded the cheap way, as canonicalIP's memo: more distinct addresses just compute again.
    if (memo.size >= NETWORK_MEMO_MAX) memo.clear();
    memo.set(ip, net);
  }
  return net;
}

// >>> reads n as 32 bits, unsigned; a shift of 32 would be one of 0, hence /0 apart.
const v4Key = (n: number, bits: number) => (bits === 0 ? 0 : n >>> (32 - bits));
/** The key of an IPv4 network in parseCidr's text (a.b.c.d/bits). */
const v4NetworkKey = (network: string, bits: number) =>
  v4Key(v4Number(network.slice(0, network.indexOf('/'))), bits);

export class PodRanges<N extends RangedNode = RangedNode> {
  private readonly v4: Length<number, N>[] = [];
  private readonly v6: Length<string, N>[] = [];

  add(node: N): void {
    for (const c of node.podCIDRs) {
      const r = parseCidr(c);
      if (r === undefined) continue;
      if (r.v6) networksOf(this.v6, r.bits).set(r.network, node);
      else networksOf(this.v4, r.bits).set(v4NetworkKey(r.network, r.bits), node);
    }
  }

  /** Forgets node's ranges (unless another node has taken one since). */
  remove(node: N): void {
    for (const c of node.podCIDRs) {
      const r = parseCidr(c);
      if (r === undefined) continue;
      if (r.v6) forget(this.v6, r.bits, r.network, node);
      else forget(this.v4, r.bits, v4NetworkKey(r.network, r.bits), node);
    }
  }

  /** The node whose pod range holds ip (a canonical address), if any. */
  nodeAt(ip: string): N | undefined {
    if (isV6(ip)) {
      for (const l of this.v6) {
        const n = l.networks.get(v6Network(ip, l.bits));
        if (n !== undefined) return n;
      }
      return undefined;
    }
    const a = v4Number(ip);
    for (const l of this.v4) {
      const n = l.networks.get(v4Key(a, l.bits));
      if (n !== undefined) return n;
    }
    return undefined;
  }
}

function networksOf<K, N>(lengths: Length<K, N>[], bits: number): Map<K, N> {
  let l = lengths.find((x) => x.bits === bits);
  if (l === undefined) {
    l = { bits, networks: new Map() };
    lengths.push(l);
  }
  return l.networks;
}

function forget<K, N>(lengths: Length<K, N>[], bits: number, key: K, node: N): void {
  const i = lengths.findIndex((x) => x.bits === bits);
  const l = lengths[i];
  if (l === undefined || l.networks.get(key) !== node) return;
  l.networks.delete(key);
  if (l.networks.size === 0) lengths.splice(i, 1);
}
