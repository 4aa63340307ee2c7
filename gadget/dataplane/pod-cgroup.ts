// Which pod a process belongs to, from its /proc/<pid>/cgroup: the kubelet puts every
// pod's processes in a cgroup named by the pod's UID, under its QoS cgroup:
//   cgroupfs: .../kubepods[/besteffort|/burstable]/pod<uid>/<container>
//   systemd:  .../kubepods.slice[/kubepods-<qos>.slice]/kubepods-<qos>-pod<uid_>.slice/<scope>
// Only a pod segment right below one of those parents counts: a container allowed to
// make cgroups of its own (inside its own) cannot name another pod's UID that way.
// From inside a container's cgroup namespace the path is relative to the agent's own
// cgroup ("/../../besteffort/pod<uid>/..."): ".." then stands for one of the agent's own
// ancestors, which are kubepods cgroups as well.

const UID = '[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}';
const PARENT =
  '(?:kubepods|besteffort|burstable|kubepods\\.slice|kubepods-besteffort\\.slice|kubepods-burstable\\.slice|\\.\\.)';
const POD = new RegExp(
  `(?:^|/)${PARENT}/(?:pod(${UID})|kubepods-(?:besteffort-|burstable-)?pod(${UID})\\.slice)(?=/|$)`,
);

/** The pod UID a process's cgroups name (the text of /proc/<pid>/cgroup), if any. */
export function podUidOfCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    // hierarchy-ID:controllers:path; the path may hold ':' itself.
    const path = line.split(':').slice(2).join(':');
    const m = POD.exec(path);
    if (m) return (m[1] ?? m[2] ?? '').replaceAll('_', '-');
  }
  return undefined;
}
