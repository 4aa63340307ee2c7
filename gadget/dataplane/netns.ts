// Network namespaces on this machine, found without a container runtime: every
// /proc/<pid>/ns/net (the agent runs with hostPID) and every named namespace in
// /var/run/netns, deduplicated by (dev, inode), so pods sharing a namespace are
// attached once. Addresses are read inside each namespace by the netns worker.
import { readdir, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalIP } from '../../lib/ip.js';
import { inNetns } from './netns-thread.js';

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

/** A namespace: its info, its name under /var/run/netns, or a path to it. */
export type NetnsRef = string | NetnsInfo;

export const NAMED_NETNS_DIR = '/var/run/netns';

interface Found {
  path: string;
  name: string;
  dev: number;
  inode: number;
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
    byId.set(idOf(s), { path, name, ...s });
  }
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  for (const pid of pids.sort((a, b) => a - b)) {
    const path = `/proc/${pid}/ns/net`;
    const s = await statNs(path);
    if (!s || byId.has(idOf(s))) continue;
    byId.set(idOf(s), { path, name: `pid:${pid}`, ...s });
  }
  return { found: [...byId.values()], hostId: nsfs && idOf(nsfs) };
}

/** Adds the addresses, read inside each namespace (one worker for all). */
async function describe(found: Found[], hostId: string | undefined): Promise<NetnsInfo[]> {
  const results = await inNetns(found.map((f) => ({ path: f.path })));
  const out: NetnsInfo[] = [];
  found.forEach((f, i) => {
    const r = results[i];
    if (!r?.ok) return; // gone meanwhile
    out.push({ ...f, host: idOf(f) === hostId, addrs: r.addrs });
  });
  return out;
}

/** Every network namespace on the machine, the host's own included (host: true). */
export async function listNetns(): Promise<NetnsInfo[]> {
  const { found, hostId } = await scan();
  return describe(found, hostId);
}

/**
 * Finds the namespace that holds an IP (pods have their own IPs); the host's own
 * namespace never matches. Scanning every namespace costs a walk of /proc
 * and a thread, so one scan serves every pod of a burst of events; a miss rescans,
 * at most every 200 ms, since a pod's namespace may have appeared after the scan.
 */
export function netnsFinder(): (ip: string) => Promise<NetnsInfo | undefined> {
  let scan: { at: number; byIP: Promise<Map<string, NetnsInfo>> } | undefined;
  const rescan = () => {
    const byIP = listNetns().then((all) => {
      const m = new Map<string, NetnsInfo>();
      for (const ns of all) if (!ns.host) for (const a of ns.addrs) m.set(canonicalIP(a), ns);
      return m;
    });
    scan = { at: Date.now(), byIP };
    return byIP;
  };
  return async (ip) => {
    const asked = Date.now();
    const want = canonicalIP(ip);
    const ns = (await (scan?.byIP ?? rescan())).get(want);
    if (ns || !scan) return ns;
    // A scan begun before this was asked may have walked /proc before the namespace
    // was there: look again in one begun after (200 ms after the last, not sooner).
    if (scan.at <= asked) {
      await sleep(scan.at + 200 - Date.now());
      if (scan.at <= asked) rescan();
    }
    return (await scan.byIP).get(want);
  };
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
  const [info] = await describe([loc], loc.host ? idOf(loc) : undefined);
  if (!info) throw new Error(`network namespace "${ref}" not found`);
  return info;
}
