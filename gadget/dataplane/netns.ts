// Network namespaces on this machine, found without a container runtime: every
// /proc/<pid>/ns/net (the agent runs with hostPID) and every named namespace in
// /var/run/netns, deduplicated by (dev, inode), so pods sharing a namespace are
// attached once; with the pods whose processes are in each (their cgroups name them).
// Addresses are read inside each namespace by the netns worker.
import { readdir, readFile, stat } from 'node:fs/promises';
import { inNetns } from './netns-thread.js';
import { podUidOfCgroup } from './pod-cgroup.js';

export interface NetnsInfo {
  /** A path setns() accepts: /var/run/netns/<name> when named, else /proc/<pid>/ns/net. */
  path: string;
  /** The name under /var/run/netns, else `pid:<lowest pid in it>`. */
  name: string;
  /** The namespace's identity: (dev, inode) of its nsfs file. */
  dev: number;
  inode: number;
  /** The host's own namespace: this process's (the gadget runs with hostNetwork). */
  host: boolean;
  /** Its IPv4 and IPv6 addresses, without loopback and link-local. */
  addrs: string[];
}

/** A namespace as a scan finds it: with the pods whose processes are in it. */
export interface ScannedNetns extends NetnsInfo {
  /** UIDs of the pods with a process in it, as their cgroups say (pod-cgroup.ts). */
  podUids: string[];
}

/** A namespace: its info, its name under /var/run/netns, or a path to it. */
export type NetnsRef = string | NetnsInfo;

export const NAMED_NETNS_DIR = '/var/run/netns';

interface Found {
  path: string;
  name: string;
  dev: number;
  inode: number;
  podUids: Set<string>;
}

const idOf = (s: { dev: number; inode: number }) => `${s.dev}:${s.inode}`;

async function statNs(path: string): Promise<{ dev: number; inode: number } | undefined> {
  try {
    const s = await stat(path);
    return { dev: s.dev, inode: s.ino };
  } catch {
    return undefined; // the process exited, or the name is a stale file
  }
}

/** Named namespaces first (stable paths), then one pid per other namespace. */
async function scan(): Promise<{ found: Found[]; hostId: string | undefined }> {
  const nsfs = await statNs('/proc/self/ns/net');
  const byId = new Map<string, Found>();
  const names = await readdir(NAMED_NETNS_DIR).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const path = `${NAMED_NETNS_DIR}/${name}`;
    const s = await statNs(path);
    // An unmounted leftover is a plain file on tmpfs, not on nsfs.
    if (!s || s.dev !== nsfs?.dev || byId.has(idOf(s))) continue;
    byId.set(idOf(s), { path, name, ...s, podUids: new Set() });
  }
  const hostId = nsfs && idOf(nsfs);
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  for (const pid of pids.sort((a, b) => a - b)) {
    const path = `/proc/${pid}/ns/net`;
    const s = await statNs(path);
    if (!s) continue;
    let ns = byId.get(idOf(s));
    if (!ns) {
      ns = { path, name: `pid:${pid}`, ...s, podUids: new Set() };
      byId.set(idOf(s), ns);
    }
    if (idOf(s) === hostId) continue; // the node's own processes: no pod's
    const uid = podUidOfCgroup(await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''));
    if (uid) ns.podUids.add(uid);
  }
  return { found: [...byId.values()], hostId };
}

/** Adds the addresses, read inside each namespace (one worker for all). */
async function describe(found: Found[], hostId: string | undefined): Promise<ScannedNetns[]> {
  const results = await inNetns(found.map((f) => ({ path: f.path })));
  const out: ScannedNetns[] = [];
  found.forEach((f, i) => {
    const r = results[i];
    if (!r?.ok) return; // gone meanwhile
    out.push({ ...f, host: idOf(f) === hostId, addrs: r.addrs, podUids: [...f.podUids] });
  });
  return out;
}

/** Every network namespace on the machine, the host's own included (host: true). */
export async function listNetns(): Promise<ScannedNetns[]> {
  const { found, hostId } = await scan();
  return describe(found, hostId);
}

/** A namespace without its addresses: what is known before entering it. */
export type NetnsLocation = Omit<NetnsInfo, 'addrs'>;

/**
 * Locates a reference: a name under /var/run/netns, or a path (anything with a
 * '/'). Throws `network namespace "x" not found`.
 */
export async function locateNetns(ref: string): Promise<NetnsLocation> {
  const path = ref.includes('/') ? ref : `${NAMED_NETNS_DIR}/${ref}`;
  const [s, own] = await Promise.all([statNs(path), statNs('/proc/self/ns/net')]);
  // Every namespace file lives on nsfs: anything else is not a namespace.
  if (!s || s.dev !== own?.dev) throw new Error(`network namespace "${ref}" not found`);
  return { path, name: ref, ...s, host: idOf(own) === idOf(s) };
}

/** Resolves a reference (see locateNetns) with the namespace's addresses. */
export async function resolveNetns(ref: NetnsRef): Promise<NetnsInfo> {
  if (typeof ref !== 'string') return ref;
  const loc = await locateNetns(ref);
  const [info] = await describe([{ ...loc, podUids: new Set() }], loc.host ? idOf(loc) : undefined);
  if (!info) throw new Error(`network namespace "${ref}" not found`);
  return info;
}
