// SPDX-License-Identifier: GPL-2.0
// netgraph: packets of one pod network namespace become edges (who talks to
// whom), counted in the kernel. Two ways in, one counting function:
// - `netgraph`, a socket filter attached with SO_ATTACH_BPF to an
//   AF_PACKET/SOCK_RAW/ETH_P_ALL socket inside the namespace; it always returns
//   0, so nothing is ever copied to user space;
// - `netgraph_tcx_in` / `netgraph_tcx_out`, tc programs attached as TCX links to
//   the pod's host-side veth: its ingress is what the pod sends, its egress what
//   the pod receives. They return TCX_NEXT, so every tc program after them sees
//   the packet as if netgraph were not there; no packet is cloned.
// The loader enables only the programs of the mode it attaches.
//
// Per packet: the headers read in place (tc) or two bounded copies (socket
// filter), a per-CPU one-entry flow cache (bulk traffic hits it, skipping the
// flow hash lookup) that also holds the clock of the current tick, two atomic
// adds. The edge counters
// live in an mmapable array indexed by an edge id stored in the flow, so user
// space drains them by reading memory (no syscall per edge); each direction has
// its own cache line, so data and ACKs handled on different CPUs do not fight
// over one line. The edge hash map (`edge_ids`) is only touched when a flow
// starts. The byte layouts below are mirrored in gadget/dataplane/bpf-abi.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IP_BE 0x0008   /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86 /* htons(0x86DD) */
#define PACKET_HOST 0
#define PACKET_OUTGOING 4
#define LOOPBACK_IFINDEX 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_SYN 0x02
#define NO_EDGE 0xffffffff
#define TCX_NEXT -1

/* A flow (5-tuple) from the pod's side: local is this namespace. Ports in
 * network byte order; IPv4 addresses use the first 4 bytes. */
struct flow_key {
  __u8 family; /* 4 or 6 */
  __u8 proto;
  __u16 lport;
  __u16 rport;
  __u16 pad;
  __u8 lip[16];
  __u8 rip[16];
};

struct flow_val {
  __u32 edge;    /* index into `edges`, NO_EDGE when the edge table was full */
  __u32 syn_seq; /* ISN of the SYN that opened it: a new SYN on the same tuple is a new connection */
};

struct edge_key {
  __u8 pkt_type; /* PACKET_HOST or PACKET_OUTGOING of the flow's first packet */
  __u8 proto;
  __u8 family;
  __u8 pad;
  __u16 port; /* server side: remote port for OUTGOING, own port for HOST (network order) */
  __u16 pad2;
  __u8 ip[16]; /* remote peer */
};

/* Counters of one direction, on a cache line of their own. Times are CLOCK_MONOTONIC ns. */
struct dir_counters {
  __u64 packets;
  __u64 bytes;
  __u64 last_seen;
  __u64 pad[5];
};

/* One slot of `edges` (3 cache lines); `valid` is set once the key is published in `edge_ids`. */
struct edge {
  struct edge_key key;
  __u32 valid;
  __u32 pad;
  __u64 connections;
  __u64 first_seen;
  __u64 pad2[2];
  struct dir_counters sent;
  struct dir_counters received;
};

/* Per CPU: the last flow counted (consecutive packets of a flow skip the hash
 * lookup), and the clock as of the current tick. */
struct flow_cache {
  struct flow_key key;
  struct flow_val val;
  __u64 jiffies;
  __u64 now;
};

/* Global state, in .bss (mmaped by libbpf and by user space). */
struct state {
  __u32 next_edge; /* next free slot of `edges`; user space allocates from it too */
  __u32 max_edges; /* written by user space before attach */
  __u64 edge_drops; /* new flows not recorded: edge table full */
  __u64 flow_drops; /* new flows not recorded: flow table insert failed */
  __u64 midstream;  /* TCP packets of flows that started before attach and were not seeded */
};

struct state state;

/* Sizes are placeholders: user space sets them with bpf_map__set_max_entries. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 1);
  __type(key, struct flow_key);
  __type(value, struct flow_val);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1);
  __type(key, struct edge_key);
  __type(value, __u32);
} edge_ids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct flow_cache);
} last_flow SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, struct edge);
} edges SEC(".maps");

/* The edge slot for a new flow, creating it if needed; NO_EDGE when full. */
static __always_inline __u32 edge_for(struct edge_key *ek, __u64 now)
{
  __u32 *id = bpf_map_lookup_elem(&edge_ids, ek);
  if (id)
    return *id;
  /* Stop allocating once full so next_edge never wraps. */
  if (state.next_edge >= state.max_edges)
    goto full;
  __u32 idx = __sync_fetch_and_add(&state.next_edge, 1);
  struct edge *e = bpf_map_lookup_elem(&edges, &idx);
  if (!e)
    goto full;
  __builtin_memcpy(&e->key, ek, sizeof(*ek));
  e->first_seen = now;
  if (bpf_map_update_elem(&edge_ids, ek, &idx, BPF_NOEXIST)) {
    /* Another CPU created the same edge first: use its slot, this one stays invalid. */
    id = bpf_map_lookup_elem(&edge_ids, ek);
    if (id)
      return *id;
    goto full;
  }
  e->valid = 1;
  return idx;
full:
  __sync_fetch_and_add(&state.edge_drops, 1);
  return NO_EDGE;
}

/* A packet's flow, seen from the pod, and what counting needs of its headers. */
struct pkt {
  struct flow_key fk;
  __u32 l3len; /* IP total length, header included (0 for BIG TCP jumbograms) */
  __u32 l4off; /* IP header length */
  __u32 l4hdr; /* TCP or UDP header length */
  __u32 seq;   /* TCP */
  __u8 flags;  /* TCP */
};

struct ipv4_hdr {
  __u8 ver_ihl, tos;
  __u16 tot_len, id, frag_off;
  __u8 ttl, protocol;
  __u16 check;
  __u8 saddr[4], daddr[4];
};

struct ipv6_hdr {
  __u32 ver_flow;
  __u16 payload_len;
  __u8 nexthdr, hop_limit;
  __u8 saddr[16], daddr[16];
};

/* The start of a TCP header (a UDP header's ports are its first 4 bytes). */
struct l4_hdr {
  __u16 sport, dport;
  __u32 seq, ack;
  __u8 doff, flags;
};

/* Fills p from the IP header; 0 when it is a first (or only) fragment of TCP or UDP. */
static __always_inline int from_ipv4(struct ipv4_hdr *ip, __u32 pkt_type, struct pkt *p)
{
  /* Only the first fragment carries the ports. */
  if (ip->frag_off & __builtin_bswap16(0x1fff))
    return -1;
  if (ip->protocol != PROTO_TCP && ip->protocol != PROTO_UDP)
    return -1;
  p->fk.family = 4;
  p->fk.proto = ip->protocol;
  p->l4off = (ip->ver_ihl & 0x0f) * 4;
  p->l3len = __builtin_bswap16(ip->tot_len);
  if (pkt_type == PACKET_OUTGOING) {
    __builtin_memcpy(p->fk.lip, ip->saddr, 4);
    __builtin_memcpy(p->fk.rip, ip->daddr, 4);
  } else {
    __builtin_memcpy(p->fk.lip, ip->daddr, 4);
    __builtin_memcpy(p->fk.rip, ip->saddr, 4);
  }
  return 0;
}

static __always_inline int from_ipv6(struct ipv6_hdr *ip6, __u32 pkt_type, struct pkt *p)
{
  /* No extension-header chasing: TCP and UDP follow the fixed header in practice. */
  if (ip6->nexthdr != PROTO_TCP && ip6->nexthdr != PROTO_UDP)
    return -1;
  p->fk.family = 6;
  p->fk.proto = ip6->nexthdr;
  p->l4off = sizeof(*ip6);
  p->l3len = __builtin_bswap16(ip6->payload_len) + sizeof(*ip6);
  if (pkt_type == PACKET_OUTGOING) {
    __builtin_memcpy(p->fk.lip, ip6->saddr, 16);
    __builtin_memcpy(p->fk.rip, ip6->daddr, 16);
  } else {
    __builtin_memcpy(p->fk.lip, ip6->daddr, 16);
    __builtin_memcpy(p->fk.rip, ip6->saddr, 16);
  }
  return 0;
}

static __always_inline void from_l4(struct l4_hdr *l4, __u32 pkt_type, struct pkt *p)
{
  if (pkt_type == PACKET_OUTGOING) {
    p->fk.lport = l4->sport;
    p->fk.rport = l4->dport;
  } else {
    p->fk.lport = l4->dport;
    p->fk.rport = l4->sport;
  }
  if (p->fk.proto == PROTO_TCP) {
    p->l4hdr = (l4->doff >> 4) * 4;
    p->seq = l4->seq;
    p->flags = l4->flags;
  } else {
    p->l4hdr = 8;
  }
}

#define PARSE_OK 0
#define PARSE_SKIP -1  /* not TCP or UDP over IP: not counted */
#define PARSE_COPY -2  /* headers not in the linear part: parse_copy reads them */

/*
 * Parses by copying the headers out of the packet, wherever they are: the only
 * way a socket filter may read it.
 */
static __always_inline int parse_copy(struct __sk_buff *skb, __u32 pkt_type, struct pkt *p)
{
  __u32 proto = skb->protocol;
  if (proto == ETH_P_IP_BE) {
    struct ipv4_hdr ip;
    if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) ||
        from_ipv4(&ip, pkt_type, p))
      return PARSE_SKIP;
  } else if (proto == ETH_P_IPV6_BE) {
    struct ipv6_hdr ip6;
    if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET) ||
        from_ipv6(&ip6, pkt_type, p))
      return PARSE_SKIP;
  } else {
    return PARSE_SKIP;
  }
  struct l4_hdr l4 = {};
  __u32 len = p->fk.proto == PROTO_TCP ? sizeof(l4) : 4;
  if (bpf_skb_load_bytes_relative(skb, p->l4off, &l4, len, BPF_HDR_START_NET))
    return PARSE_SKIP;
  from_l4(&l4, pkt_type, p);
  return PARSE_OK;
}

/*
 * Parses in place (tc programs only): the headers are read where they lie in
 * the packet's linear part, with no helper call and no copy. Packets whose
 * headers are not all there (rare: the kernel keeps headers linear) go to
 * parse_copy.
 */
static __always_inline int parse_direct(struct __sk_buff *skb, __u32 pkt_type, struct pkt *p)
{
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;
  __u32 proto = skb->protocol;
  /* An Ethernet header whose type is the packet's protocol, then IP: else (a VLAN
   * tag in the frame, a device without Ethernet) parse_copy knows where IP starts. */
  __u16 *ethertype = data + 12;
  void *l3 = data + 14;
  if ((void *)(ethertype + 1) > end || *ethertype != proto)
    return PARSE_COPY;
  if (proto == ETH_P_IP_BE) {
    struct ipv4_hdr *ip = l3;
    if ((void *)(ip + 1) > end)
      return PARSE_COPY;
    if (from_ipv4(ip, pkt_type, p))
      return PARSE_SKIP;
  } else if (proto == ETH_P_IPV6_BE) {
    struct ipv6_hdr *ip6 = l3;
    if ((void *)(ip6 + 1) > end)
      return PARSE_COPY;
    if (from_ipv6(ip6, pkt_type, p))
      return PARSE_SKIP;
  } else {
    return PARSE_SKIP;
  }
  __u32 off = p->l4off;
  if (off > 60) /* never (4 bits of ihl); bounds the offset for the verifier */
    return PARSE_SKIP;
  struct l4_hdr *l4 = l3 + off;
  if ((void *)l4 + (p->fk.proto == PROTO_TCP ? sizeof(*l4) : 4) > end)
    return PARSE_COPY;
  from_l4(l4, pkt_type, p);
  return PARSE_OK;
}

/* Counts one parsed packet the pod sent (PACKET_OUTGOING) or received (PACKET_HOST). */
static __always_inline void count(struct __sk_buff *skb, __u32 pkt_type, struct pkt *p)
{
  struct flow_key *fk = &p->fk;
  __u32 idx, zero = 0;
  int syn = fk->proto == PROTO_TCP && (p->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
  struct flow_cache *fc = bpf_map_lookup_elem(&last_flow, &zero);
  if (!fc)
    return;
  /* Coarse (tick) time, read once a tick: the clock read costs more than the
   * rest of a run, the tick count (inlined) almost nothing. Both move at the
   * tick, so first/last seen are right to a tick, as the coarse clock itself. */
  __u64 jiffies = bpf_jiffies64();
  if (fc->jiffies != jiffies) {
    fc->jiffies = jiffies;
    fc->now = bpf_ktime_get_coarse_ns();
  }
  __u64 now = fc->now;
  __u64 *a = (__u64 *)&fc->key, *b = (__u64 *)fk;
  struct flow_val *fv;
  if (!syn && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4]) {
    idx = fc->val.edge;
  } else if ((fv = bpf_map_lookup_elem(&flows, fk)) && !(syn && fv->syn_seq != p->seq)) {
    idx = fv->edge;
    fc->key = *fk;
    fc->val = *fv;
  } else {
    /* A new flow: TCP only from its SYN, UDP from any first datagram. */
    if (fk->proto == PROTO_TCP && !syn) {
      __sync_fetch_and_add(&state.midstream, 1);
      return;
    }
    struct edge_key ek = {
        .pkt_type = pkt_type,
        .proto = fk->proto,
        .family = fk->family,
        .port = pkt_type == PACKET_OUTGOING ? fk->rport : fk->lport,
    };
    __builtin_memcpy(ek.ip, fk->rip, 16);
    idx = edge_for(&ek, now);
    struct flow_val nv = {.edge = idx, .syn_seq = syn ? p->seq : 0};
    if (bpf_map_update_elem(&flows, fk, &nv, BPF_ANY)) {
      __sync_fetch_and_add(&state.flow_drops, 1);
      return;
    }
    fc->key = *fk;
    fc->val = nv;
    if (idx != NO_EDGE) {
      struct edge *ne = bpf_map_lookup_elem(&edges, &idx);
      if (ne)
        __sync_fetch_and_add(&ne->connections, 1);
    }
  }

  struct edge *e = bpf_map_lookup_elem(&edges, &idx);
  if (!e)
    return;
  /* A GSO/GRO packet stands for gso_segs wire packets, each with its own headers. */
  __u32 segs = skb->gso_segs;
  if (segs == 0)
    segs = 1;
  /* Jumbo (BIG TCP) packets carry no length: fall back to the frame length. */
  __u64 bytes = p->l3len > p->l4off ? p->l3len + (segs - 1) * (p->l4off + p->l4hdr) : skb->len;
  struct dir_counters *d = pkt_type == PACKET_OUTGOING ? &e->sent : &e->received;
  __sync_fetch_and_add(&d->packets, segs);
  __sync_fetch_and_add(&d->bytes, bytes);
  if (d->last_seen != now)
    d->last_seen = now;
}

SEC("socket")
int netgraph(struct __sk_buff *skb)
{
  __u32 pkt_type = skb->pkt_type;
  if (pkt_type != PACKET_HOST && pkt_type != PACKET_OUTGOING)
    return 0;
  /* Traffic inside the pod (loopback) is not an edge, and would be seen twice. */
  if (skb->ifindex == LOOPBACK_IFINDEX)
    return 0;
  struct pkt p = {};
  if (parse_copy(skb, pkt_type, &p) == PARSE_OK)
    count(skb, pkt_type, &p);
  return 0;
}

/* The tc programs: in place where the headers allow, else by copy. */
static __always_inline void count_tc(struct __sk_buff *skb, __u32 pkt_type)
{
  struct pkt p = {};
  int r = parse_direct(skb, pkt_type, &p);
  if (r == PARSE_COPY)
    r = parse_copy(skb, pkt_type, &p);
  if (r == PARSE_OK)
    count(skb, pkt_type, &p);
}

/* Host-side veth ingress: what the pod sent. */
SEC("tc")
int netgraph_tcx_in(struct __sk_buff *skb)
{
  count_tc(skb, PACKET_OUTGOING);
  return TCX_NEXT;
}

/* Host-side veth egress: what the pod receives. */
SEC("tc")
int netgraph_tcx_out(struct __sk_buff *skb)
{
  count_tc(skb, PACKET_HOST);
  return TCX_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
