// SPDX-License-Identifier: GPL-2.0
// Baselines for the benchmarks: a socket filter that keeps nothing, so the cost
// of having a packet socket at all can be told from netgraph's own
// (bench/dataplane-overhead), and a tc program that does nothing, the floor of a
// TCX program's run (bench/dataplane-program).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int empty(struct __sk_buff *skb)
{
  return 0;
}

SEC("tc")
int empty_tcx(struct __sk_buff *skb)
{
  return -1; /* TCX_NEXT */
}

char LICENSE[] SEC("license") = "GPL";
