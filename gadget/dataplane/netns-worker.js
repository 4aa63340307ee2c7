// The worker thread that enters network namespaces. setns() moves only the calling
// thread, so it must never run on Node's main thread; this thread serves batch after
// batch and goes back to the node's namespace after each (if it cannot, it exits and
// takes the namespace with it; netns-thread.ts starts another). File descriptors are
// process-wide: the packet sockets it opens are used and closed by the main thread.
// Everything here is synchronous, so it all runs on this thread (libuv's pool
// threads stay in the host namespace).
import { readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { close, packetSocket, setnsNet } from './libc.js';
import { deletePodOf, podKey, setPodOf } from './pod-of.js';
import { hostVeths, tcxAttach } from './tcx.js';

/** @typedef {import('./netns-thread.js').NetnsJob} NetnsJob */
/** @typedef {import('./netns-thread.js').NetnsResult} NetnsResult */

const TABLES = /** @type {const} */ (['tcp', 'tcp6', 'udp', 'udp6']);

/** The namespace's addresses, as seen by this thread (getifaddrs uses its netns). */
function addresses() {
  /** @type {string[]} */
  const out = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && !a.address.startsWith('fe80:')) out.push(a.address);
    }
  }
  return out;
}

/**
 * /proc/thread-self/net/* describe this thread's namespace (/proc/self would be the main thread's).
 * @returns {Record<string, string>}
 */
function socketTables() {
  /** @type {Record<string, string>} */
  const out = {};
  for (const t of TABLES) out[t] = readFileSync(`/proc/thread-self/net/${t}`, 'latin1');
  return out;
}

/**
 * @param {NetnsJob} job
 * @returns {NetnsResult}
 */
function run(job) {
  let fd = -1;
  /** @type {number[]} */
  const links = [];
  /** @type {string[]} */
  const veths = [];
  /** @type {Uint8Array[]} */
  const podKeys = [];
  /** @type {string | undefined} */
  let tcxError;
  const { pod } = job;
  /** Files the namespace's addresses under the pod id, for the programs of `mode`. */
  const fileUnderPod = (/** @type {string[]} */ addrs, /** @type {'socket' | 'tcx'} */ mode) => {
    if (!pod) return;
    for (const a of addrs) {
      const key = podKey(a, mode);
      setPodOf(pod.podOfFd, key, pod.id);
      podKeys.push(key);
    }
  };
  const forgetKeys = () => {
    for (const k of podKeys.splice(0)) if (pod) deletePodOf(pod.podOfFd, k);
  };
  try {
    setnsNet(job.path);
    const st = statSync('/proc/thread-self/ns/net');
    const addrs = addresses();
    // Filed, then attached, then the tables read: a connection is either in the
    // table or its SYN is counted.
    if (job.tcx) {
      fileUnderPod(addrs, 'tcx');
      // Links are made in the namespace of the host side: ifindexes are per namespace.
      setnsNet(job.tcx.hostPath ?? '/proc/self/ns/net');
      try {
        for (const v of hostVeths(job.path)) {
          links.push(tcxAttach(job.tcx.inFd, v.index, 'ingress'));
          links.push(tcxAttach(job.tcx.outFd, v.index, 'egress'));
          veths.push(v.name);
        }
        if (veths.length === 0) tcxError = 'no host-side veth';
      } catch (err) {
        tcxError = err instanceof Error ? err.message : String(err);
      }
      if (tcxError) {
        for (const l of links.splice(0)) close(l);
        forgetKeys();
      }
      setnsNet(job.path);
    }
    if (job.progFd !== undefined && links.length === 0) {
      fileUnderPod(addrs, 'socket');
      fd = packetSocket(job.progFd);
    }
    return {
      ok: true,
      dev: st.dev,
      ino: st.ino,
      addrs,
      ...(fd >= 0 ? { socketFd: fd } : {}),
      ...(links.length > 0 ? { links, veths } : {}),
      ...(tcxError ? { tcxError } : {}),
      ...(podKeys.length > 0 ? { podKeys } : {}),
      ...(job.tables ? { tables: socketTables() } : {}),
    };
  } catch (err) {
    if (fd >= 0) close(fd);
    for (const l of links) close(l);
    forgetKeys();
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort?.on('message', (/** @type {NetnsJob[]} */ jobs) => {
  const results = jobs.map(run);
  let home = true;
  try {
    // /proc/self is the process's main thread: the node's namespace.
    setnsNet('/proc/self/ns/net');
  } catch {
    home = false;
  }
  parentPort?.postMessage(results);
  if (!home) process.exit(1);
});
