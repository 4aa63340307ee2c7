// The process behind each outgoing TCP connection (bpf/netgraph-owner.bpf.c):
// one object and one tracepoint per process, shared by every tracer, opened with
// the first and closed with the last. Each drain takes the owners the kernel
// recorded since the previous one and hands each tracer those of its namespace.
// Where the kernel refuses the program, edges simply carry no pid and comm.
import { formatIPv4, formatIPv6 } from '../../lib/ip.js';
import type { EdgeId } from './bpf-abi.js';
import { bpfObjectPath } from './bpf-path.js';
import { flowEdgeKey } from './edge-window.js';
import { BpfObject, mapTakeAll } from './libbpf.js';

/** struct owner_key and struct owner of netgraph-owner.bpf.c. */
const KEY = { size: 44, netns: 0, family: 4, rport: 8, rip: 28 };
const VALUE = { size: 20, pid: 0, comm: 4 };

/** Who opened an outgoing connection, by its edge in a namespace. */
export interface ConnectOwner {
  edge: EdgeId;
  /** flowEdgeKey of the edge. */
  edgeKey: string;
  pid: number;
  comm: string;
}

/** Decodes one `owners` entry; pure. */
export function decodeOwner(key: Buffer, value: Buffer): { netns: number } & ConnectOwner {
  const v4 = key[KEY.family] === 4;
  const ip = v4 ? formatIPv4(key, KEY.rip) : formatIPv6(key, KEY.rip);
  const port = key.readUInt16BE(KEY.rport);
  const comm = value.subarray(VALUE.comm, VALUE.comm + 16);
  const end = comm.indexOf(0);
  return {
    netns: key.readUInt32LE(KEY.netns),
    edge: {
      pktType: 'OUTGOING',
      proto: 'tcp',
      family: v4 ? 4 : 6,
      ip: Uint8Array.from(key.subarray(KEY.rip, KEY.rip + (v4 ? 4 : 16))),
      port,
    },
    edgeKey: flowEdgeKey({ pktType: 'OUTGOING', proto: 'tcp', ip, port }),
    pid: value.readUInt32LE(VALUE.pid),
    comm: comm.subarray(0, end < 0 ? 16 : end).toString('utf8'),
  };
}

class ConnectOwners {
  private readonly pending = new Map<number, ConnectOwner[]>();
  private readonly ownersFd: number;

  constructor(
    private readonly obj: BpfObject,
    private readonly detach: () => void,
    /** Namespaces (inodes) with a tracer, and how many. */
    readonly watched = new Map<number, number>(),
  ) {
    this.ownersFd = obj.mapFd('owners');
  }

  /** The owners recorded for namespace `netns` since its previous take. */
  take(netns: number): ConnectOwner[] {
    for (const { key, value } of mapTakeAll(this.ownersFd, KEY.size, VALUE.size)) {
      const o = decodeOwner(key, value);
      // Connections of namespaces nobody traces are dropped.
      if (!this.watched.has(o.netns)) continue;
      const list = this.pending.get(o.netns) ?? [];
      const { netns: _, ...owner } = o;
      list.push(owner);
      this.pending.set(o.netns, list);
    }
    const mine = this.pending.get(netns) ?? [];
    this.pending.delete(netns);
    return mine;
  }

  forget(netns: number): void {
    this.pending.delete(netns);
  }

  close(): void {
    this.detach();
    this.obj.close();
  }
}

let shared: ConnectOwners | undefined;
let failure: string | undefined;

/** A handle on the process's owner tracking for namespace `netns`; release it when done. */
export interface OwnerHandle {
  take(): ConnectOwner[];
  release(): void;
}

/** Starts watching `netns`, loading the program with the first watcher; undefined if the kernel refused it. */
export function watchOwners(netns: number): OwnerHandle | undefined {
  if (!shared) {
    if (failure) return undefined;
    let obj: BpfObject | undefined;
    try {
      obj = BpfObject.load(bpfObjectPath('netgraph-owner'));
      shared = new ConnectOwners(obj, obj.attach('netgraph_owner'));
    } catch (err) {
      obj?.close();
      // Once: a kernel that refuses it refuses it every time.
      failure = (err as Error).message;
      return undefined;
    }
  }
  const owners = shared;
  owners.watched.set(netns, (owners.watched.get(netns) ?? 0) + 1);
  let released = false;
  return {
    take: () => (released ? [] : owners.take(netns)),
    release: () => {
      if (released) return;
      released = true;
      const n = (owners.watched.get(netns) ?? 1) - 1;
      if (n > 0) owners.watched.set(netns, n);
      else {
        owners.watched.delete(netns);
        owners.forget(netns);
      }
      if (owners.watched.size === 0 && shared === owners) {
        shared = undefined;
        owners.close();
      }
    },
  };
}

/**
 * Loads (and unloads) the program once: why edges will carry no pid and comm, if
 * the kernel refuses it; undefined when it works. For a line at start-up.
 */
export function probeOwners(): string | undefined {
  watchOwners(0)?.release();
  return failure;
}
