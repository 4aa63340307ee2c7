// Runs jobs inside network namespaces on a worker thread (see netns-worker.js): never
// setns() on the main thread. One worker serves every batch, one batch at a time, and
// returns to the node's namespace after each. Not a worker per batch: each thread that
// loads koffi leaves its 3 MiB of call memory mapped when it exits (3 mappings a thread;
// at vm.max_map_count, 65,530, the process can map no more), and pod churn made several a
// minute.
import { Worker } from 'node:worker_threads';
import type { Result } from '../../lib/result.js';
import { mallocTrim } from './libc.js';

export interface NetnsJob {
  /** A path setns() accepts: /proc/<pid>/ns/net or /var/run/netns/<name>. */
  path: string;
  /** Open an AF_PACKET socket there with this BPF program attached (with `tcx`: if TCX fails). */
  progFd?: number;
  /** Attach these tc programs as TCX links on the namespace's host-side veths. */
  tcx?: {
    inFd: number;
    outFd: number;
    /** The namespace holding the host side (default: the process's own, the node's). */
    hostPath?: string;
  };
  /** Read /proc/thread-self/net/{tcp,tcp6,udp,udp6}. */
  tables?: boolean;
  /** With progFd or tcx: file the namespace's addresses under this pod id in `pod_of` first. */
  pod?: { podOfFd: number; id: number };
}

export type SocketTables = Record<'tcp' | 'tcp6' | 'udp' | 'udp6', string>;

export type NetnsResult = Result<{
  dev: number;
  ino: number;
  /** IPv4 and IPv6 addresses (no loopback, no link-local). */
  addrs: string[];
  socketFd?: number;
  /** TCX link fds (ingress and egress per host-side veth), and the veths' names. */
  links?: number[];
  veths?: string[];
  /** Why TCX was not used (then `socketFd` is the fallback). */
  tcxError?: string;
  /** The `pod_of` keys filed for the attachment (to delete when it goes). */
  podKeys?: Uint8Array[];
  tables?: SocketTables;
}>;

interface Batch {
  jobs: NetnsJob[];
  resolve: (r: NetnsResult[]) => void;
  reject: (err: Error) => void;
}

let worker: Worker | undefined;
const queue: Batch[] = [];

/** The worker, started if there is none; it does not keep the process alive while idle. */
function netnsWorker(): Worker {
  if (worker) return worker;
  // Small heap limits: a batch's garbage (socket tables of every namespace) is then
  // collected soon, not kept for the worker's lifetime (15-20 MB with 100 pods x 10
  // Traces); the largest batch (1,000 pods) keeps well under them.
  const w = new Worker(new URL('./netns-worker.js', import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 },
  });
  w.unref();
  const fail = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const b of queue.splice(0)) b.reject(err);
  };
  w.on('message', (m: NetnsResult[]) => {
    const b = queue.shift();
    b?.resolve(m);
    if (queue.length > 0) w.postMessage((queue[0] as Batch).jobs);
    else w.unref();
  });
  w.once('error', fail);
  w.once('exit', (code) => {
    mallocTrim();
    fail(new Error(`netns worker exited with code ${code}`));
  });
  worker = w;
  return w;
}

export function inNetns(jobs: NetnsJob[]): Promise<NetnsResult[]> {
  if (jobs.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    queue.push({ jobs, resolve, reject });
    if (queue.length > 1) return; // sent when the batches before it are answered
    const w = netnsWorker();
    w.ref();
    w.postMessage(jobs);
  });
}
