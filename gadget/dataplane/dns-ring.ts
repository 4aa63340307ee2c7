// The DNS answers the node's program hands over (bpf/netgraph.bpf.c, `dns_answers`):
// each traced pod's, taken by its tracer at each drain. One read of the ring buffer
// serves every pod; what a pod has not taken yet is bounded. Capture is on only when
// asked (state.dns: the agent asks, `local` and most benchmarks do not), and answers
// the ring had no room for are counted there (state.dns_drops).
import { DNS_EVENT, STATE } from './bpf-abi.js';
import { type BpfObject, RingBuffer } from './libbpf.js';
import { mmapShared, munmap, PAGE_SIZE } from './libc.js';

/** A DNS answer as a pod received it: the payload's first bytes and its whole length. */
export interface CapturedDns {
  transport: 'udp' | 'tcp';
  /** The first bytes of the UDP datagram's or TCP segment's payload. */
  bytes: Uint8Array;
  /** The whole payload's length. */
  wireLength: number;
}

/** Answers kept for a pod between two of its drains; more are dropped (counted). */
const MAX_PENDING = 1024;
const PROTO_TCP = 6;

export class DnsRing {
  private readonly pending = new Map<number, CapturedDns[]>();
  private readonly ring: RingBuffer;
  private readonly state: { ptr: bigint; len: number };
  private readonly state32: Uint32Array;
  private readonly state64: BigUint64Array;
  /** Answers dropped here because their pod had MAX_PENDING waiting. */
  private overflow = 0;

  /** Capture starts off (state.dns is 0 at load): set `capture` to turn it on. */
  constructor(obj: BpfObject) {
    const m = mmapShared(obj.mapFd('.bss'), PAGE_SIZE);
    this.state = { ptr: m.ptr, len: PAGE_SIZE };
    this.state32 = new Uint32Array(m.buffer, 0, STATE.size / 4);
    this.state64 = new BigUint64Array(m.buffer, 0, STATE.size / 8);
    this.ring = new RingBuffer(obj.mapFd('dns_answers'), (b) => this.add(b));
  }

  /** Whether the program hands DNS answers over. */
  set capture(on: boolean) {
    this.state32[STATE.dns / 4] = on ? 1 : 0;
  }

  get capture(): boolean {
    return this.state32[STATE.dns / 4] !== 0;
  }

  /** The answers pod `id` received since it last took them. */
  take(id: number): CapturedDns[] {
    this.ring.consume();
    const list = this.pending.get(id);
    if (!list) return [];
    this.pending.delete(id);
    return list;
  }

  /** The pod is gone: what it had not taken goes too. */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Answers not handed over: the ring was full, or their pod had too many waiting. */
  drops(): number {
    return Number(this.state64[STATE.dnsDrops / 8]) + this.overflow;
  }

  close(): void {
    this.ring.close();
    munmap(this.state.ptr, this.state.len);
    this.pending.clear();
  }

  private add(record: Uint8Array): void {
    const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const id = v.getUint32(DNS_EVENT.pod, true);
    let list = this.pending.get(id);
    if (!list) {
      list = [];
      this.pending.set(id, list);
    }
    if (list.length >= MAX_PENDING) {
      this.overflow++;
      return;
    }
    const captured = v.getUint16(DNS_EVENT.captured, true);
    list.push({
      transport: record[DNS_EVENT.proto] === PROTO_TCP ? 'tcp' : 'udp',
      bytes: record.subarray(DNS_EVENT.payload, DNS_EVENT.payload + captured),
      wireLength: v.getUint16(DNS_EVENT.len, true),
    });
  }
}
