# shellcheck shell=bash disable=SC2154  # settings and state come from hack/testbed
# Host and pod network plumbing for the test bed, sourced by hack/testbed.
#
# Pods are wired the way Calico does it: no bridge, one veth per pod, the pod's
# address is a /32 (/128) routed on the host to that veth, and inside the pod the
# default route goes to a link-local gateway (169.254.1.1 answered by proxy ARP,
# fe80::1 configured on the host end). Traffic between pods, and to ClusterIPs
# through kube-proxy's rules, is therefore routed by the host like on a real node.

# The guard chain makes sure nothing a pod sends is forwarded anywhere but to another
# test bed pod: pods have a default route to the host and the host forwards, so
# without it a packet to any address would leave by eth0. (What pods send to the
# host's own addresses, the node and control-plane ones, is delivered, not forwarded.)
guard_chain=NETGRAPH-TESTBED-GUARD

# save_sysctl KEY VALUE: remember the current value once, then set the new one;
# `down` restores what was there before.
save_sysctl() {
  local key=$1 value=$2 file=$dir/sysctl.orig
  grep -q "^$key=" "$file" 2>/dev/null || echo "$key=$(sysctl -n "$key")" >>"$file"
  sysctl -qw "$key=$value"
}

restore_sysctls() {
  local line
  [ -f "$dir/sysctl.orig" ] || return 0
  while IFS= read -r line; do sysctl -qw "$line" || true; done <"$dir/sysctl.orig"
}

# host_net_up: forwarding, the dummy interface that carries node addresses, the guard.
host_net_up() {
  save_sysctl net.ipv4.ip_forward 1
  [ "$ipv6" = 1 ] && save_sysctl net.ipv6.conf.all.forwarding 1
  # A dummy interface where the kernel has one; else a bridge without ports, which
  # holds local addresses just as well (some VM kernels are built without dummy).
  ip link add "$nodes_dev" type dummy 2>/dev/null || ip link add "$nodes_dev" type bridge
  ip link set "$nodes_dev" up
  # The apiserver's address: real pods reach it (through the kubernetes Service) here.
  ip addr replace "$cp_ip/32" dev "$nodes_dev"
  guard_up iptables "$pod_cidr4" icmp-net-prohibited
  [ "$ipv6" = 1 ] && guard_up ip6tables "$pod_cidr6" icmp6-adm-prohibited
  return 0
}

guard_up() {
  local ipt=$1 cidr=$2 reject=$3
  "$ipt" -w -N "$guard_chain" 2>/dev/null || "$ipt" -w -F "$guard_chain"
  "$ipt" -w -A "$guard_chain" -s "$cidr" ! -d "$cidr" \
    -m comment --comment 'netgraph test bed: pod traffic stays on the test bed' -j REJECT --reject-with "$reject"
  "$ipt" -w -I FORWARD 1 -j "$guard_chain"
}

# guard_first: kube-proxy inserts its FORWARD jumps at the top when it starts;
# move the guard back in front of them so no kube-proxy ACCEPT comes before it.
guard_first() {
  local ipt
  for ipt in iptables $([ "$ipv6" = 1 ] && echo ip6tables); do
    "$ipt" -w -D FORWARD -j "$guard_chain"
    "$ipt" -w -I FORWARD 1 -j "$guard_chain"
  done
}

guard_down() {
  local ipt=$1
  while "$ipt" -w -D FORWARD -j "$guard_chain" 2>/dev/null; do :; done
  "$ipt" -w -F "$guard_chain" 2>/dev/null || true
  "$ipt" -w -X "$guard_chain" 2>/dev/null || true
}

host_net_down() {
  ip link del "$nodes_dev" 2>/dev/null || true
  guard_down iptables
  guard_down ip6tables
  # Forget connections of test bed addresses so a later `up` starts clean.
  conntrack -D -s "$pod_cidr4" >/dev/null 2>&1 || true
  conntrack -D -d "$pod_cidr4" >/dev/null 2>&1 || true
  conntrack -D -f ipv6 -s "$pod_cidr6" >/dev/null 2>&1 || true
  conntrack -D -f ipv6 -d "$pod_cidr6" >/dev/null 2>&1 || true
  restore_sysctls
}

# node_net_add IP [IP6]: a node's InternalIP(s) live on the host, so pods (and
# agents bound to them) can reach a node address.
node_net_add() {
  ip addr replace "$1/32" dev "$nodes_dev"
  [ -n "${2:-}" ] && ip addr replace "$2/128" dev "$nodes_dev" nodad
  return 0
}

node_net_del() {
  ip addr del "$1/32" dev "$nodes_dev" 2>/dev/null || true
  [ -n "${2:-}" ] && { ip addr del "$2/128" dev "$nodes_dev" 2>/dev/null || true; }
  return 0
}

# The namespace that plays the host for pod_net_add/pod_net_del: empty for the host
# itself (hack/testbed); hack/testbed.d/pod-net sets it for a node namespace of its own.
host_netns=${host_netns:-}

# host_ip ARGS / host_sysctl ARGS: ip and sysctl on the host side of a pod's veth.
host_ip() { ip ${host_netns:+-n "$host_netns"} "$@"; }
host_sysctl() {
  if [ -n "$host_netns" ]; then ip netns exec "$host_netns" sysctl "$@"; else sysctl "$@"; fi
}

# pod_net_add NETNS VETH IP IP6 NODEIP NODEIP6 (IP6/NODEIP/NODEIP6 may be empty).
pod_net_add() {
  local netns=$1 veth=$2 ip=$3 ip6=$4 node_ip=$5 node_ip6=$6
  ip netns add "$netns"
  host_ip link add "$veth" type veth peer name eth0 netns "$netns"
  # Proxy ARP answers the pod's ARP for 169.254.1.1 with the host veth's MAC;
  # proxy_delay=0 answers at once instead of after up to 0.8 s.
  host_sysctl -qw "net.ipv4.conf.$veth.proxy_arp=1" "net.ipv4.neigh.$veth.proxy_delay=0"
  if [ -n "$ip6" ]; then
    # No duplicate address detection: the addresses are ours, and DAD would keep
    # them tentative (unusable) for a second or more after `pod add` returns.
    host_sysctl -qw "net.ipv6.conf.$veth.accept_dad=0"
    ip netns exec "$netns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  fi
  host_ip link set "$veth" up
  ip -n "$netns" link set lo up
  ip -n "$netns" link set eth0 up
  ip -n "$netns" addr add "$ip/32" dev eth0
  ip -n "$netns" route add 169.254.1.1 dev eth0 scope link
  ip -n "$netns" route add default via 169.254.1.1 dev eth0
  # Host -> pod traffic leaves from the node's address, as it would on a real node.
  host_ip route add "$ip/32" dev "$veth" scope link ${node_ip:+src "$node_ip"}
  if [ -n "$ip6" ]; then
    host_ip addr add fe80::1/64 dev "$veth" nodad
    ip -n "$netns" addr add "$ip6/128" dev eth0 nodad
    ip -n "$netns" -6 route add default via fe80::1 dev eth0
    host_ip -6 route add "$ip6/128" dev "$veth" ${node_ip6:+src "$node_ip6"}
  fi
}

# pod_net_del NETNS VETH: deleting the netns destroys the veth pair, and the
# host routes through the veth go with it; the explicit deletes cover a half-made pod.
# The pod's sandbox process goes first, or it would keep the namespace alive.
pod_net_del() {
  local netns=$1 veth=$2
  sandbox_del "$netns"
  host_ip link del "$veth" 2>/dev/null || true
  ip netns del "$netns" 2>/dev/null || true
}

# sandbox_cgroup: where simulated pods' sandboxes (test/pod-sandbox.ts) have their
# cgroups, kubepods/pod<UID> below it, as the kubelet names a pod's.
sandbox_cgroup() { echo "$(findmnt -n -t cgroup2 -o TARGET | head -n1)/netgraph-testbed"; }

# sandbox_gc: every sandbox left (by a test that died before deleting its pod) and its
# cgroup, then the sandboxes' root cgroup.
sandbox_gc() {
  local root cg _
  root=$(sandbox_cgroup)
  for cg in "$root"/kubepods/pod*/; do
    [ -d "$cg" ] || continue
    xargs -r kill -KILL <"$cg/cgroup.procs" 2>/dev/null || true
    for _ in $(seq 50); do
      if rmdir "$cg" 2>/dev/null; then break; fi
      sleep 0.02
    done
  done
  rmdir "$root/kubepods" "$root" 2>/dev/null || true
}

# sandbox_del NETNS: kills the sandbox processes in NETNS and removes their cgroups.
sandbox_del() {
  local netns=$1 root pid cg _
  root=$(sandbox_cgroup)
  for pid in $(ip netns pids "$netns" 2>/dev/null); do
    cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
    case $cg in /netgraph-testbed/kubepods/pod*) ;; *) continue ;; esac
    kill -KILL "$pid" 2>/dev/null || true
    # The killed process leaves its cgroup a moment later.
    for _ in $(seq 50); do
      if rmdir "$root/kubepods/${cg##*/}" 2>/dev/null; then break; fi
      sleep 0.02
    done
  done
}
