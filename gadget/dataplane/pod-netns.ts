// What the node says about a pod's network namespace: its sandboxes, found by the
// pod's UID (processes in a cgroup of the pod, and the container runtime's own answer
// when it is asked), and, as a cross-check, every namespace holding one of its IPs.
// Choosing between them is the agent's (gadget/agent/pod-sandbox.ts).
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalIP } from '../../lib/ip.js';
import { errorText } from '../../lib/result.js';
import type { RuntimeSandbox } from './cri.js';
import { listNetns, type NetnsInfo, resolveNetns } from './netns.js';

export interface PodQuery {
  uid: string;
  ips: string[];
}

export interface PodNetnsFound {
  /** The namespaces of the pod's sandbox: one, unless something is amiss. */
  sandboxes: NetnsInfo[];
  /** Every namespace but the node's holding one of the pod's IPs. */
  holders: NetnsInfo[];
  /** Why the container runtime could not be asked, when it could not. */
  runtimeError?: string;
}

/** The container runtime's ready sandboxes (cri.ts), where one is asked. */
export interface SandboxSource {
  list(): Promise<RuntimeSandbox[]>;
}

interface Scan {
  at: number;
  byUid: Map<string, NetnsInfo[]>;
  byIP: Map<string, NetnsInfo[]>;
  runtimeError?: string;
}

const add = <K>(m: Map<K, NetnsInfo[]>, k: K, ns: NetnsInfo) => {
  const l = m.get(k) ?? [];
  if (!l.includes(ns)) l.push(ns);
  m.set(k, l);
};

async function scanNode(runtime: SandboxSource | undefined): Promise<Omit<Scan, 'at'>> {
  const [all, sandboxes] = await Promise.all([
    listNetns(),
    runtime?.list().then(
      (l) => ({ ok: true as const, l }),
      (err: unknown) => ({ ok: false as const, error: errorText(err) }),
    ),
  ]);
  const byUid = new Map<string, NetnsInfo[]>();
  const byIP = new Map<string, NetnsInfo[]>();
  const byId = new Map(all.map((ns) => [`${ns.dev}:${ns.inode}`, ns as NetnsInfo]));
  for (const ns of all) {
    if (ns.host) continue;
    for (const uid of ns.podUids) add(byUid, uid, ns);
    for (const a of ns.addrs) add(byIP, canonicalIP(a), ns);
  }
  for (const sb of sandboxes?.ok ? sandboxes.l : []) {
    const s = await stat(sb.path).catch(() => undefined);
    if (!s) continue; // gone meanwhile
    const ns =
      byId.get(`${s.dev}:${s.ino}`) ?? (await resolveNetns(sb.path).catch(() => undefined));
    if (ns && !ns.host) add(byUid, sb.uid, ns);
  }
  return {
    byUid,
    byIP,
    ...(sandboxes && !sandboxes.ok && { runtimeError: sandboxes.error }),
  };
}

/**
 * Looks pods up. Scanning costs a walk of /proc and a batch on the netns worker, so
 * one scan serves every pod of a burst of events; a pod not found as expected (its
 * sandbox the one namespace holding its IP) is looked up again in a scan begun after
 * it was asked (at most one scan every 200 ms): its sandbox may be newer than the scan,
 * or a namespace that passed for it gone since.
 */
export function podNetnsFinder(runtime?: SandboxSource): (pod: PodQuery) => Promise<PodNetnsFound> {
  let scan: Promise<Scan> | undefined;
  let startedAt = 0;
  const rescan = () => {
    startedAt = Date.now();
    const at = startedAt;
    scan = scanNode(runtime).then((s) => ({ ...s, at }));
    return scan;
  };
  const lookup = (s: Scan, pod: PodQuery): PodNetnsFound => {
    const holders: NetnsInfo[] = [];
    for (const ip of pod.ips)
      for (const ns of s.byIP.get(canonicalIP(ip)) ?? [])
        if (!holders.includes(ns)) holders.push(ns);
    return {
      sandboxes: s.byUid.get(pod.uid) ?? [],
      holders,
      ...(s.runtimeError && { runtimeError: s.runtimeError }),
    };
  };
  return async (pod) => {
    const asked = Date.now();
    const found = lookup(await (scan ?? rescan()), pod);
    const [holder, ...more] = found.holders;
    if (holder && more.length === 0 && found.sandboxes.includes(holder)) return found;
    if (startedAt <= asked) {
      await sleep(startedAt + 200 - Date.now());
      if (startedAt <= asked) rescan();
    }
    return lookup(await (scan ?? rescan()), pod);
  };
}
