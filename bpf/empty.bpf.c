// SPDX-License-Identifier: GPL-2.0
// The baseline of bench/dataplane-overhead: a socket filter that keeps nothing,
// so the cost of having a packet socket at all can be told from netgraph's own.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int empty(struct __sk_buff *skb)
{
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
