// Runs jobs inside network namespaces on a short-lived worker thread (see
// netns-worker.js): never setns() on the main thread. One worker serves a batch.
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
  tables?: SocketTables;
}>;

export function inNetns(jobs: NetnsJob[]): Promise<NetnsResult[]> {
  if (jobs.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./netns-worker.js', import.meta.url), { workerData: { jobs } });
    let results: NetnsResult[] | undefined;
    w.once('message', (m: NetnsResult[]) => {
      results = m;
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      mallocTrim();
      if (results) resolve(results);
      else reject(new Error(`netns worker exited with code ${code}`));
    });
  });
}
