// SPDX-License-Identifier: GPL-2.0
// netgraph-owner: the process behind each outgoing TCP connection, one object
// per node (not per pod). A BTF tracepoint on sock/inet_sock_set_state:
// - into SYN_SENT, in the connecting task's context (connect()): the task's pid
//   and comm, keyed by the socket; the source port may not be chosen yet;
// - SYN_SENT -> ESTABLISHED (softirq, any task): the socket's 4-tuple is known,
//   so the owner moves to `owners`, keyed by the pod's network namespace and the
//   flow as the pod sees it (the flow_key layout of netgraph.bpf.c);
// - into CLOSE: a connection that never got there is forgotten.
// User space takes `owners` entries and puts pid and comm on the edge of the
// flow; the byte layouts are mirrored in gadget/dataplane/connect-owners.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7

/* The kernel's types, only the fields read here: CO-RE finds them by name in the
 * running kernel's BTF, whatever their offsets (anonymous unions included). */
struct ns_common {
  unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
  struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
  struct net *net;
} possible_net_t;

struct in6_addr {
  __u8 s6_addr[16];
};

struct sock_common {
  __be32 skc_daddr;
  __be32 skc_rcv_saddr;
  __be16 skc_dport;
  __u16 skc_num;
  unsigned short skc_family;
  possible_net_t skc_net;
  struct in6_addr skc_v6_daddr;
  struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
  struct sock_common __sk_common;
  __u16 sk_protocol;
} __attribute__((preserve_access_index));

struct owner {
  __u32 pid; /* thread group id: the process */
  char comm[16];
};

/* A flow in a namespace; the flow part is netgraph.bpf.c's struct flow_key. */
struct owner_key {
  __u32 netns; /* inode of the network namespace */
  __u8 family; /* 4 or 6 */
  __u8 proto;
  __u16 lport; /* network order */
  __u16 rport;
  __u16 pad;
  __u8 lip[16];
  __u8 rip[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, struct owner);
} connecting SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct owner_key);
  __type(value, struct owner);
} owners SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int netgraph_owner(unsigned long long *ctx)
{
  struct sock *sk = (struct sock *)ctx[0];
  int oldstate = (int)ctx[1];
  int newstate = (int)ctx[2];
  __u64 id = (__u64)sk;
  /* Most transitions (closing, the server side) matter not: leave before reading the socket. */
  if (newstate != TCP_SYN_SENT && newstate != TCP_CLOSE &&
      (newstate != TCP_ESTABLISHED || oldstate != TCP_SYN_SENT))
    return 0;
  __u16 protocol = 0;
  bpf_probe_read_kernel(&protocol, sizeof(protocol), &sk->sk_protocol);
  if (protocol != IPPROTO_TCP)
    return 0;

  if (newstate == TCP_SYN_SENT) {
    struct owner o = {.pid = bpf_get_current_pid_tgid() >> 32};
    bpf_get_current_comm(o.comm, sizeof(o.comm));
    bpf_map_update_elem(&connecting, &id, &o, BPF_ANY);
    return 0;
  }
  if (newstate == TCP_CLOSE) {
    bpf_map_delete_elem(&connecting, &id);
    return 0;
  }
  struct owner *o = bpf_map_lookup_elem(&connecting, &id);
  if (!o)
    return 0;
  struct owner_key k = {.proto = IPPROTO_TCP};
  struct net *net = 0;
  unsigned short family = 0;
  __u16 num = 0;
  bpf_probe_read_kernel(&net, sizeof(net), &sk->__sk_common.skc_net.net);
  if (net)
    bpf_probe_read_kernel(&k.netns, sizeof(k.netns), &net->ns.inum);
  bpf_probe_read_kernel(&family, sizeof(family), &sk->__sk_common.skc_family);
  bpf_probe_read_kernel(&num, sizeof(num), &sk->__sk_common.skc_num);
  bpf_probe_read_kernel(&k.rport, sizeof(k.rport), &sk->__sk_common.skc_dport);
  k.lport = __builtin_bswap16(num);
  if (family == AF_INET) {
    k.family = 4;
    bpf_probe_read_kernel(k.lip, 4, &sk->__sk_common.skc_rcv_saddr);
    bpf_probe_read_kernel(k.rip, 4, &sk->__sk_common.skc_daddr);
  } else if (family == AF_INET6) {
    __u8 l[16], r[16];
    bpf_probe_read_kernel(l, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_probe_read_kernel(r, 16, &sk->__sk_common.skc_v6_daddr);
    /* An IPv6 socket talking IPv4 (::ffff:a.b.c.d) sends IPv4 packets. */
    __u32 *rw = (__u32 *)r;
    if (rw[0] == 0 && rw[1] == 0 && rw[2] == __builtin_bswap32(0xffff)) {
      k.family = 4;
      __builtin_memcpy(k.lip, l + 12, 4);
      __builtin_memcpy(k.rip, r + 12, 4);
    } else {
      k.family = 6;
      __builtin_memcpy(k.lip, l, 16);
      __builtin_memcpy(k.rip, r, 16);
    }
  } else {
    bpf_map_delete_elem(&connecting, &id);
    return 0;
  }
  bpf_map_update_elem(&owners, &k, o, BPF_ANY);
  bpf_map_delete_elem(&connecting, &id);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
