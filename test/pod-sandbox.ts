// A simulated pod's sandbox, made the way the kubelet makes a real pod's: a process
// holding the pod's network namespace (what the pause process does) in a cgroup named
// by the pod's UID, <cgroup2>/netgraph-testbed/kubepods/pod<UID> (the kubelet's cgroupfs
// layout). The agent finds a pod's namespace by its UID (gadget/dataplane/pod-cgroup.ts)
// here as on a real node, never by its IP. Used for the test bed's simulated pods
// (test/e2e/testbed.ts) and the netns tests' own; hack/testbed.d/net.sh's pod_net_del
// stops it with its namespace.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The cgroup (below the cgroup2 mount) that holds every sandbox's; net.sh knows it too. */
export const SANDBOX_CGROUP_ROOT = 'netgraph-testbed';

async function cgroup2Mount(): Promise<string> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n');
  const mount = mounts.map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2')?.[1];
  if (!mount) throw new Error('no cgroup2 hierarchy is mounted: pod sandboxes live there');
  return mount;
}

export interface Sandbox {
  pid: number;
  /** Kills it and removes its cgroup (before its namespace is deleted). */
  stop(): Promise<void>;
}

/** Starts the sandbox of pod `uid` in network namespace `netns` (a name under /var/run/netns). */
export async function startSandbox(netns: string, uid: string): Promise<Sandbox> {
  const cgroup = `${await cgroup2Mount()}/${SANDBOX_CGROUP_ROOT}/kubepods/pod${uid}`;
  await mkdir(cgroup, { recursive: true });
  const want = (await stat(`/var/run/netns/${netns}`)).ino;
  // `ip netns exec` enters the namespace and execs: the pid stays the sandbox's.
  const child = spawn('ip', ['netns', 'exec', netns, 'sleep', 'infinity'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the sandbox of pod ${uid}`);
  const stop = async () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already (net.sh's pod_net_del stops it too)
    }
    for (let i = 0; i < 100; i++) {
      const removed = await rmdir(cgroup).then(
        () => true,
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
      );
      if (removed) return;
      await sleep(20); // the killed process leaves its cgroup a moment later
    }
  };
  try {
    await writeFile(`${cgroup}/cgroup.procs`, String(pid));
    for (let i = 0; (await stat(`/proc/${pid}/ns/net`).catch(() => undefined))?.ino !== want; i++) {
      if (i >= 250) throw new Error(`the sandbox of pod ${uid} did not enter ${netns}`);
      await sleep(20);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid, stop };
}
