// Which network namespace the agent attaches to for a pod: its sandbox's, known by
// the pod's UID (the data plane's PodNetnsFound), never one that merely holds its IP.
// The IP is the cross-check: a namespace that is not the sandbox holding the pod's
// address is someone passing for the pod, so the pod is not traced and the Trace's
// status names every namespace involved.

/** A namespace as the data plane describes it. */
export interface NetnsRef {
  path: string;
  name: string;
  inode: number;
}

export interface PodNetnsFacts {
  sandboxes: NetnsRef[];
  holders: NetnsRef[];
  runtimeError?: string;
}

export type SandboxChoice =
  | { ok: true; netns: NetnsRef }
  /** Not traced, and why: `warning` when another namespace passes for the pod. */
  | { ok: false; error: string; warning?: true };

const names = (l: NetnsRef[]) => l.map((n) => n.name).join(', ');

export function chooseSandbox(pod: string, ips: string[], f: PodNetnsFacts): SandboxChoice {
  if (f.sandboxes.length === 0) {
    const why = f.runtimeError
      ? `, and the container runtime could not be asked (${f.runtimeError})`
      : ' and none the container runtime knows';
    const held =
      f.holders.length > 0
        ? `; ${names(f.holders)} holds its address, but nothing ties it to the pod`
        : '';
    return {
      ok: false,
      error: `no sandbox of pod ${pod} on this node: no process in a cgroup of the pod${why}${held}`,
    };
  }
  const isSandbox = (n: NetnsRef) => f.sandboxes.some((s) => s.inode === n.inode);
  const impostors = f.holders.filter((n) => !isSandbox(n));
  if (impostors.length > 0)
    return {
      ok: false,
      warning: true,
      error: `pod ${pod} not traced: its address ${ips.join(', ')} is held by network namespace ${names(impostors)}, which is not its sandbox (${names(f.sandboxes)})`,
    };
  // Only sandboxes here: a pod whose processes span namespaces is traced where its address is.
  if (f.holders.length === 0)
    return {
      ok: false,
      error: `the sandbox of pod ${pod} (network namespace ${names(f.sandboxes)}) does not hold its address ${ips.join(', ')}`,
    };
  if (f.holders.length > 1)
    return {
      ok: false,
      warning: true,
      error: `pod ${pod} not traced: its address ${ips.join(', ')} is held by ${f.holders.length} network namespaces of its own (${names(f.holders)})`,
    };
  return { ok: true, netns: f.holders[0] as NetnsRef };
}
