# shellcheck shell=bash disable=SC2154  # settings and state come from hack/testbed
# Real nodes for the test bed, sourced by hack/testbed: a containerd and a kubelet per
# node, beside the simulated nodes. Everything a real node owns lives under
# $dir/kubelets/NAME (containerd root and state, runc root, kubelet root, pod logs,
# CNI config and IPAM), so `down` finds and removes it all.
#
# What this machine needs of them: containerd's CRI with restrict_oom_score_adj (the VM
# refuses a negative oom_score_adj, and runc fails every sandbox otherwise), a pause
# image built here (no registry), kubelet on cgroupfs (cgroup v1) without QoS cgroups,
# node allocatable enforcement, swap check or local storage isolation.
# Pods get addresses from the node's /24 in 10.244.192.0/18 through Debian's CNI
# plugins (ptp + host-local): a veth per pod and a /32 route on the host, the way
# simulated pods are wired, so real pods, simulated pods and ClusterIPs reach each other.

kubelet_dir() { echo "$dir/kubelets/$1"; }
containerd_sock() { echo "$(kubelet_dir "$1")/containerd.sock"; }
node_ctr() {
  local name=$1
  shift
  ctr --address "$(containerd_sock "$name")" --namespace k8s.io "$@"
}

write_containerd_config() {
  local kd=$1
  cat >"$kd/containerd.toml" <<EOF
version = 2
root = "$kd/containerd/root"
state = "$kd/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$kd/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$kd/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:testbed"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$kd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$kd/cni"
EOF
}

write_cni_config() {
  local kd=$1 name=$2 cidr=$3
  mkdir -p "$kd/cni"
  cat >"$kd/cni/10-testbed.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "netgraph-testbed-$name", "plugins": [
  {"type": "ptp", "ipMasq": false, "mtu": 1500,
   "ipam": {"type": "host-local", "dataDir": "$kd/ipam", "ranges": [[{"subnet": "$cidr"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}}]}
EOF
}

# write_kubelet_config KD NAME IP: the settings this VM needs (see the header).
write_kubelet_config() {
  local kd=$1 name=$2 ip=$3 pki=$dir/pki
  cat >"$kd/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: $ip
healthzPort: 10248
containerRuntimeEndpoint: unix://$kd/containerd.sock
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
localStorageCapacityIsolation: false
oomScoreAdj: 0
podLogsDir: $kd/pod-logs
volumePluginDir: $kd/volume-plugins
tlsCertFile: $pki/kubelet-$name-serving.crt
tlsPrivateKeyFile: $pki/kubelet-$name-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $pki/ca.crt }
authorization: { mode: AlwaysAllow }
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
evictionHard: { memory.available: "1%", nodefs.available: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
}

# real_node_start NAME IP CIDR: containerd, the pause image, the kubelet; waits for Ready.
real_node_start() {
  local name=$1 ip=$2 cidr=$3 kd archives
  kd=$(kubelet_dir "$name")
  mkdir -p "$kd"/{containerd,runc,kubelet,pod-logs,volume-plugins,ipam}
  archives=$("$repo/hack/build-image" --pause | tail -n1)
  sign_cert "kubelet-$name" "/O=system:nodes/CN=system:node:$name" "$client_ext"
  sign_cert "kubelet-$name-serving" "/CN=$name" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:$ip,DNS:$name"
  write_kubeconfig "$kd/kubelet.kubeconfig" "kubelet-$name"
  write_containerd_config "$kd"
  write_cni_config "$kd" "$name" "$cidr"
  write_kubelet_config "$kd" "$name" "$ip"

  # Pods' named network namespaces are mounted to containers with HostToContainer
  # propagation, which needs /run/netns on a shared mount: `ip netns add` makes it one
  # on first use (and leaves it), as done here when nothing has yet.
  if ! mountpoint -q /run/netns; then
    mkdir -p /run/netns
    mount --bind /run/netns /run/netns
    mount --make-shared /run/netns
  fi
  log "node $name: containerd ($kd/containerd.sock)"
  start_daemon "containerd-$name" containerd --config "$kd/containerd.toml"
  wait_for 30 "containerd of $name" node_ctr "$name" version
  node_ctr "$name" images import "$archives/pause.tar" >/dev/null

  # The kubelet sets these at start (kernel tunables it insists on); `down` restores them.
  save_sysctl vm.overcommit_memory 1
  save_sysctl kernel.panic 10
  save_sysctl kernel.panic_on_oops 1
  log "node $name: kubelet (node IP $ip, pods $cidr)"
  start_daemon "kubelet-$name" "$bin/kubelet" --config="$kd/kubelet.yaml" \
    --kubeconfig="$kd/kubelet.kubeconfig" --root-dir="$kd/kubelet" --cert-dir="$kd/kubelet/pki" \
    --node-ip="$ip" --hostname-override="$name" --v=1
  wait_for 60 "the kubelet of $name to register its Node" kc get node "$name"
  # Its pod range in spec.podCIDR(s), as kube-controller-manager's --allocate-node-cidrs
  # sets it in a cluster (not run here: the CNI's range is fixed above). Tools read it:
  # netgraph's NetworkPolicy advice tells the node's own address there from a pod's.
  kc patch node "$name" --type=merge -p "{\"spec\":{\"podCIDR\":\"$cidr\",\"podCIDRs\":[\"$cidr\"]}}" >/dev/null
  kc wait --for=condition=Ready "node/$name" --timeout=90s >/dev/null ||
    die "node $name did not become Ready (logs: $dir/logs/kubelet-$name.log)"
  # The kubelet registers its node tainted not-ready; the node lifecycle controller,
  # which does not run here (it would evict simulated pods), removes it once Ready.
  kc taint node "$name" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
}

# Process ids of the shims of NAME's containerd (their command line names its socket).
node_shims() {
  local sock p
  sock=$(containerd_sock "$1")
  for p in $(pgrep -f containerd-shim-runc-v2 || true); do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-address $sock " && echo "$p"
  done
  return 0
}

# real_node_stop NAME: the kubelet, every container and pod sandbox, containerd; then
# the pods' network namespaces (their veths and routes go with them), the shims'
# sockets, the mounts under the node's folder. By process id and path, never by name.
real_node_stop() {
  local name=$1 kd shims p child nets='' socks='' id ids=''
  kd=$(kubelet_dir "$name")
  stop_daemon "kubelet-$name"
  shims=$(node_shims "$name")
  for p in $shims; do
    for child in $(pgrep -P "$p" || true); do nets+=" $(ip netns identify "$child" 2>/dev/null || true)"; done
    socks+=" $(ss -Hxlp 2>/dev/null | grep -F "pid=$p," | awk '{print $5}' | grep '^/run/containerd/s/' || true)"
  done
  if daemon_pid "containerd-$name" >/dev/null; then
    ids=$(node_ctr "$name" containers ls -q 2>/dev/null || true)
    # A sandbox torn down halfway (its pause process gone, its netns not yet removed) has
    # no process to name its netns by: its spec still does.
    for id in $ids; do
      nets+=" $(node_ctr "$name" containers info "$id" 2>/dev/null | grep -o 'netns/cni-[0-9a-f-]*' | cut -d/ -f2 | sort -u || true)"
    done
    # Killing and deleting each task lets runc remove its cgroups and each shim exit.
    for id in $(node_ctr "$name" tasks ls -q 2>/dev/null || true); do
      node_ctr "$name" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $(node_ctr "$name" tasks ls -q 2>/dev/null || true); do
      for _ in $(seq 20); do
        if node_ctr "$name" tasks rm -f "$id" >/dev/null 2>&1; then break; fi
        sleep 0.1
      done
    done
  fi
  stop_daemon "containerd-$name"
  for p in $(node_shims "$name"); do
    log "node $name: shim $p outlived containerd; killing it and its children"
    pkill -KILL -P "$p" 2>/dev/null || true
    kill -KILL "$p" 2>/dev/null || true
  done
  for p in $nets; do ip netns del "$p" 2>/dev/null || true; done
  for p in $socks; do rm -f "$p"; done
  # libcni's cache of each pod's results (not configurable in containerd 1.6): ours are
  # named by our network, or by a sandbox of ours (the loopback network).
  rm -f /var/lib/cni/results/netgraph-testbed-"$name"-*
  for id in $ids; do rm -f "/var/lib/cni/results/cni-loopback-$id-lo"; done
  # containerd, runc and libcni make these whatever the config says; gone when empty
  # (k8s.io: the cgroup parent of pods without QoS cgroups).
  rmdir /var/lib/cni/results /var/lib/cni /sys/fs/cgroup/*/k8s.io 2>/dev/null || true
  rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc/k8s.io /run/containerd/runc /run/containerd 2>/dev/null || true
  # Deepest first: overlay root file systems, shm, projected volumes, the kubelet's own.
  findmnt -rn -o TARGET | grep -F "$kd/" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2- |
    while IFS= read -r p; do umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true; done
}
