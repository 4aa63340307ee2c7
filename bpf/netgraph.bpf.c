// SPDX-License-Identifier: GPL-2.0
// netgraph: packets of the traced pods of a node become edges (who talks to
// whom), counted in the kernel. One object per node: its programs are attached
// to every traced pod and its maps hold every pod's flows and edges, each keyed
// by a small pod id the agent assigns. Two ways in, one counting function:
// - `netgraph`, a socket filter attached with SO_ATTACH_BPF to an
//   AF_PACKET/SOCK_RAW/ETH_P_ALL socket inside the namespace; it always returns
//   0, so nothing is ever copied to user space;
// - `netgraph_tcx_in` / `netgraph_tcx_out`, tc programs attached as TCX links to
//   the pod's host-side veth: its ingress is what the pod sends, its egress what
//   the pod receives. They return TCX_NEXT, so every tc program after them sees
//   the packet as if netgraph were not there; no packet is cloned.
// The program learns the pod from the packet's pod-side address, which no two
// pods of a node share: `pod_of` maps each address of a traced pod, with the
// attach mode (a pod may be attached both ways, each its own pod id), to the pod
// id; the per-CPU cache keeps the last one, so a packet of the same pod as the
// one before costs no lookup. (A socket filter has no other way: its netns cookie
// helper answers the sending socket's namespace, or the host's for a packet
// received.) Packets of an address not filed (broadcast) are not counted.
//
// Fair share of the node's edge table: the slots are a ring of free slot
// numbers that user space refills when a pod goes. A pod holding its fair share
// (max_edges / traced pods) or more takes a new slot only while more than
// `reserve` slots are free: that reserve is kept for pods below their share, so
// one pod with many peers cannot hide a quiet pod's edge. What is refused is
// counted per pod.
//
// Per packet: the headers read in place (tc) or two bounded copies (socket
// filter), a small per-CPU flow cache with a slot by the pod's address (bulk
// traffic hits it, skipping the flow and pod lookups) that also holds the clock
// of the current tick, two atomic adds. The edge counters
// live in an mmapable array indexed by an edge id stored in the flow, so user
// space drains them by reading memory (no syscall per edge); each direction has
// its own cache line, so data and ACKs handled on different CPUs do not fight
// over one line. The edge hash map (`edge_ids`) is only touched when a flow
// starts. The byte layouts below are mirrored in gadget/dataplane/bpf-abi.ts.
//
// DNS answers: a packet a traced pod receives from port 53 (UDP, or a TCP segment
// with data), from whichever server, has its payload's first DNS_CAPTURE bytes put
// in the `dns_answers` ring buffer with its pod id, for the agent to learn which
// names the pod's remote addresses have. Any other packet pays one comparison of
// its remote port; user space turns capture off with state.dns = 0.
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
#define SLOT_VALID 1
#define SLOT_SPARE 2 /* taken, then lost a race for its key: user space returns it */
#define POD_KEY_TCX 0x80 /* pod_key.kind of a tc program's packet */
#define MAX_PODS 4096
#define MAX_POD_KEYS (4 * MAX_PODS) /* addresses of a pod, both modes */
#define FLOW_CACHE_SLOTS 16 /* per CPU, by the low bits of the pod's address */
#define DNS_PORT_BE 0x3500 /* htons(53) */
#define DNS_CAPTURE 512    /* payload bytes of a DNS answer handed over (a classic UDP answer's most) */

/* A flow (5-tuple) of a pod, from its side: local is the pod. Ports in
 * network byte order; IPv4 addresses use the first 4 bytes. */
struct flow_key {
  __u8 family; /* 4 or 6 */
  __u8 proto;
  __u16 lport;
  __u16 rport;
  __u16 pod;
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
  __u16 pod;
  __u8 ip[16]; /* remote peer */
};

/* Counters of one direction, on a cache line of their own. Times are CLOCK_MONOTONIC ns. */
struct dir_counters {
  __u64 packets;
  __u64 bytes;
  __u64 last_seen;
  __u64 pad[5];
};

/* One slot of `edges` (3 cache lines); `valid` is SLOT_VALID once the key is published in `edge_ids`. */
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

/* A `pod_of` key: a pod's address, and how the packet was seen. */
struct pod_key {
  __u8 kind; /* family (4 or 6), | POD_KEY_TCX from a tc program */
  __u8 pad[7];
  __u8 addr[16];
};

/* Per CPU and slot (FLOW_CACHE_SLOTS, by the pod's address): the last flow
 * counted (consecutive packets of a flow skip the hash lookups), the last
 * packet's pod, and the clock as of the current tick. User space zeroes it when
 * a pod id is freed. */
struct flow_cache {
  struct flow_key key;
  struct flow_val val;
  __u64 jiffies;
  __u64 now;
  struct pod_key pod_key; /* of the last packet, and its pod id */
  __u32 pod;
  __u8 mode; /* of the packet that put `key` here (0 or POD_KEY_TCX) */
  __u8 pad[3];
};

/* Per pod (indexed by pod id, mmaped by user space): its edges and what it lost. */
struct pod_state {
  __u32 edges;      /* slots it holds */
  __u32 pad;
  __u64 edge_drops; /* new flows not recorded: no slot for its edge (table full or over its share) */
  __u64 flow_drops; /* new flows not recorded: flow table insert failed */
  __u64 midstream;  /* TCP packets of flows that started before attach and were not seeded */
};

/* Global state, in .bss (mmaped by libbpf and by user space). */
struct state {
  __u64 head;       /* next position of `free_edges` to take (by compare-and-swap, here and in seeding) */
  __u64 tail;       /* end of the free positions: user space returns slots there */
  __u32 max_edges;  /* written by user space before attach; the ring's size */
  __u32 fair_share; /* max_edges / traced pods, kept by user space */
  __u32 reserve;    /* free slots kept for pods below their fair share */
  __u32 dns;        /* nonzero: DNS answers go to `dns_answers` (set by user space) */
  __u64 dns_drops;  /* DNS answers not handed over: the ring buffer was full */
};

struct state state;

/* A DNS answer a pod received: its first bytes, and how long the payload was. */
struct dns_event {
  __u32 pod;
  __u16 len;      /* the UDP or TCP payload's length */
  __u16 captured; /* bytes of it in `payload` */
  __u8 proto;
  __u8 pad[7];
  __u8 payload[DNS_CAPTURE];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} dns_answers SEC(".maps");

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
  __uint(max_entries, FLOW_CACHE_SLOTS);
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

/* The free slots of `edges`, a ring of max_edges positions (state.head..tail). */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u32);
} free_edges SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, MAX_PODS);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, struct pod_state);
} pods SEC(".maps");

/* A traced pod's address (and attach mode) -> its pod id. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, MAX_POD_KEYS);
  __type(key, struct pod_key);
  __type(value, __u32);
} pod_of SEC(".maps");

/* A free slot for a new edge of pod `ps`, under its fair share; NO_EDGE when none. */
static __always_inline __u32 take_slot(struct pod_state *ps)
{
#pragma unroll
  for (int i = 0; i < 4; i++) {
    __u64 head = *(volatile __u64 *)&state.head;
    __u64 free = *(volatile __u64 *)&state.tail - head;
    if (free == 0 || (ps->edges >= state.fair_share && free <= state.reserve))
      return NO_EDGE;
    if (__sync_val_compare_and_swap(&state.head, head, head + 1) != head)
      continue; /* another CPU took that position: try the next */
    __u32 pos = head % state.max_edges;
    __u32 *slot = bpf_map_lookup_elem(&free_edges, &pos);
    return slot ? *slot : NO_EDGE;
  }
  return NO_EDGE;
}

/* The edge slot for a new flow, creating it if needed; NO_EDGE when refused. */
static __always_inline __u32 edge_for(struct edge_key *ek, struct pod_state *ps, __u64 now)
{
  __u32 *id = bpf_map_lookup_elem(&edge_ids, ek);
  if (id)
    return *id;
  __u32 idx = take_slot(ps);
  struct edge *e = bpf_map_lookup_elem(&edges, &idx);
  if (!e)
    goto full;
  __builtin_memcpy(&e->key, ek, sizeof(*ek));
  e->first_seen = now;
  if (bpf_map_update_elem(&edge_ids, ek, &idx, BPF_NOEXIST)) {
    /* Another CPU created the same edge first: use its slot, give this one back. */
    e->valid = SLOT_SPARE;
    id = bpf_map_lookup_elem(&edge_ids, ek);
    if (id)
      return *id;
    goto full;
  }
  __sync_fetch_and_add(&ps->edges, 1);
  e->valid = SLOT_VALID;
  return idx;
full:
  __sync_fetch_and_add(&ps->edge_drops, 1);
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

/* Hands a DNS answer's payload (p's, pod already known) to user space. */
static __always_inline void capture_dns(struct __sk_buff *skb, struct pkt *p)
{
  __u32 off = p->l4off + p->l4hdr;
  if (p->l3len <= off || off > 120) /* no payload (a bare ACK), or a header past any real one */
    return;
  __u32 len = p->l3len - off;
  struct dns_event *ev = bpf_ringbuf_reserve(&dns_answers, sizeof(*ev), 0);
  if (!ev) {
    __sync_fetch_and_add(&state.dns_drops, 1);
    return;
  }
  __u32 n = len > DNS_CAPTURE ? DNS_CAPTURE : len;
  /* Bounded for the verifier: 1..DNS_CAPTURE. */
  n &= 2 * DNS_CAPTURE - 1;
  if (n == 0 || n > DNS_CAPTURE)
    goto discard;
  /* A relative read reaches only the packet's linear part; a TCP segment's data is
   * mostly past it. Then the frame is read from its start (where both kinds of
   * program see the MAC header): an Ethernet header when its type is the packet's
   * protocol, as parse_direct checks. */
  if (bpf_skb_load_bytes_relative(skb, off, ev->payload, n, BPF_HDR_START_NET)) {
    __u16 type;
    if (bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) || type != skb->protocol ||
        bpf_skb_load_bytes(skb, 14 + off, ev->payload, n))
      goto discard;
  }
  ev->pod = p->fk.pod;
  ev->len = len > 0xffff ? 0xffff : len;
  ev->captured = n;
  ev->proto = p->fk.proto;
  bpf_ringbuf_submit(ev, 0);
  return;
discard:
  bpf_ringbuf_discard(ev, 0);
}

/* Counts one parsed packet the pod sent (PACKET_OUTGOING) or received
 * (PACKET_HOST); `mode` is 0 (socket filter) or POD_KEY_TCX. */
static __always_inline void count(struct __sk_buff *skb, __u32 pkt_type, __u8 mode, struct pkt *p)
{
  struct flow_key *fk = &p->fk;
  __u32 idx;
  int syn = fk->proto == PROTO_TCP && (p->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
  /* A slot by the pod's address: the pods of a node differ in its last byte, so
   * packets of two pods taking turns on a CPU (both ends of a connection on the
   * node) keep a cached flow each. */
  __u32 slot = (fk->family == 4 ? fk->lip[3] : fk->lip[15]) & (FLOW_CACHE_SLOTS - 1);
  struct flow_cache *fc = bpf_map_lookup_elem(&last_flow, &slot);
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
  /* The cached flow's pod, tried first: if the whole key then matches (its
   * address, so its pod, and the mode too), it is this packet's. */
  fk->pod = fc->key.pod;
  __u64 *a = (__u64 *)&fc->key, *b = (__u64 *)fk;
  struct flow_val *fv;
  if (!syn && fc->mode == mode && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
      a[4] == b[4]) {
    idx = fc->val.edge;
    goto counted;
  }
  struct pod_key pk = {.kind = fk->family | mode};
  __builtin_memcpy(pk.addr, fk->lip, 16);
  __u64 *c = (__u64 *)&fc->pod_key, *k = (__u64 *)&pk;
  if (c[0] != k[0] || c[1] != k[1] || c[2] != k[2]) {
    __u32 *pod = bpf_map_lookup_elem(&pod_of, &pk);
    if (!pod)
      return; /* not a traced pod's address */
    fc->pod_key = pk;
    fc->pod = *pod;
  }
  fk->pod = fc->pod;
  if ((fv = bpf_map_lookup_elem(&flows, fk)) && !(syn && fv->syn_seq != p->seq)) {
    idx = fv->edge;
    fc->key = *fk;
    fc->mode = mode;
    fc->val = *fv;
  } else {
    __u32 pod = fk->pod;
    struct pod_state *ps = bpf_map_lookup_elem(&pods, &pod);
    if (!ps)
      return;
    /* A new flow: TCP only from its SYN, UDP from any first datagram. */
    if (fk->proto == PROTO_TCP && !syn) {
      __sync_fetch_and_add(&ps->midstream, 1);
      return;
    }
    struct edge_key ek = {
        .pkt_type = pkt_type,
        .proto = fk->proto,
        .family = fk->family,
        .port = pkt_type == PACKET_OUTGOING ? fk->rport : fk->lport,
        .pod = fk->pod,
    };
    __builtin_memcpy(ek.ip, fk->rip, 16);
    idx = edge_for(&ek, ps, now);
    struct flow_val nv = {.edge = idx, .syn_seq = syn ? p->seq : 0};
    if (bpf_map_update_elem(&flows, fk, &nv, BPF_ANY)) {
      __sync_fetch_and_add(&ps->flow_drops, 1);
      return;
    }
    fc->key = *fk;
    fc->mode = mode;
    fc->val = nv;
    if (idx != NO_EDGE) {
      struct edge *ne = bpf_map_lookup_elem(&edges, &idx);
      if (ne)
        __sync_fetch_and_add(&ne->connections, 1);
    }
  }

counted:;
  if (fk->rport == DNS_PORT_BE && pkt_type == PACKET_HOST && state.dns)
    capture_dns(skb, p);
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
    count(skb, pkt_type, 0, &p);
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
    count(skb, pkt_type, POD_KEY_TCX, &p);
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
