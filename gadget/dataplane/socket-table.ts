// The namespace's socket table (/proc/thread-self/net/{tcp,tcp6,udp,udp6}) turned
// into flows to seed, so connections open before attach become edges and their
// later packets count in the right direction. Pure: text in, flows out.
import { endianness } from 'node:os';
import type { PktType, Proto } from '../../api/edge.js';
import { canonicalIP, formatIPv4, formatIPv6, isV4Mapped } from '../../lib/ip.js';
import type { Family, FlowTuple } from './bpf-abi.js';

export interface SocketEntry extends FlowTuple {
  /** The kernel's TCP state number (UDP: 1 connected, 7 unconnected). */
  state: number;
}

export interface SeedFlow extends FlowTuple {
  /** HOST when the pod accepted it (its local port listens), OUTGOING otherwise. */
  pktType: PktType;
}

const TCP = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
};
/** TCP states of a connection that may still carry packets (not LISTEN, TIME_WAIT, CLOSE). */
const OPEN_TCP = new Set([
  TCP.ESTABLISHED,
  TCP.SYN_SENT,
  TCP.SYN_RECV,
  TCP.FIN_WAIT1,
  TCP.FIN_WAIT2,
  TCP.CLOSE_WAIT,
  TCP.LAST_ACK,
  TCP.CLOSING,
]);

const littleEndian = endianness() === 'LE';

/** The kernel prints each 32-bit word of the address with %08X in host byte order. */
function parseAddr(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < hex.length; i += 8) {
    dv.setUint32(i / 2, Number.parseInt(hex.slice(i, i + 8), 16), littleEndian);
  }
  return out;
}

function parseEndpoint(field: string): { ip: Uint8Array; port: number } | undefined {
  const [hex, port] = field.split(':');
  if (!hex || !port || (hex.length !== 8 && hex.length !== 32)) return undefined;
  let ip = parseAddr(hex);
  // A dual-stack socket's IPv4 peer: the packets on the wire are IPv4.
  if (ip.length === 16 && isV4Mapped(ip)) ip = ip.slice(12);
  return { ip, port: Number.parseInt(port, 16) };
}

/** Parses one table; `proto` says which (tcp/tcp6 -> 'tcp'). Malformed lines are skipped. */
export function parseSocketTable(text: string, proto: Proto): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!f[0]?.endsWith(':') || f.length < 4) continue;
    const local = parseEndpoint(f[1] ?? '');
    const remote = parseEndpoint(f[2] ?? '');
    const state = Number.parseInt(f[3] ?? '', 16);
    if (!local || !remote || Number.isNaN(state)) continue;
    const family: Family = local.ip.length === 4 ? 4 : 6;
    if (remote.ip.length !== local.ip.length) continue;
    out.push({
      family,
      proto,
      localIp: local.ip,
      localPort: local.port,
      remoteIp: remote.ip,
      remotePort: remote.port,
      state,
    });
  }
  return out;
}

const ipText = (b: Uint8Array) => (b.length === 4 ? formatIPv4(b) : formatIPv6(b));

function isLoopback(b: Uint8Array): boolean {
  if (b.length === 4) return b[0] === 127;
  return b.every((x, i) => x === (i === 15 ? 1 : 0));
}

/**
 * The flows to seed from the parsed tables. Direction: TCP SYN_SENT is
 * OUTGOING, SYN_RECV is HOST; otherwise HOST when the local port is one the
 * namespace listens on (TCP LISTEN, or an unconnected bound UDP socket), else
 * OUTGOING. Flows that never leave the namespace (to loopback or to one of
 * `ownAddrs`) go over `lo`, which the BPF program ignores, so they are left out.
 */
export function seedFlows(entries: SocketEntry[], ownAddrs: Iterable<string> = []): SeedFlow[] {
  const own = new Set<string>();
  for (const a of ownAddrs) own.add(canonicalIP(a));
  const listening = { tcp: new Set<number>(), udp: new Set<number>() };
  for (const e of entries) {
    if (e.proto === 'tcp' ? e.state === TCP.LISTEN : e.state === TCP.CLOSE && e.remotePort === 0) {
      listening[e.proto].add(e.localPort);
    }
  }
  const seen = new Set<string>();
  const out: SeedFlow[] = [];
  for (const e of entries) {
    const open =
      e.proto === 'tcp' ? OPEN_TCP.has(e.state) : e.state === TCP.ESTABLISHED && e.remotePort !== 0;
    if (!open || isLoopback(e.remoteIp) || own.has(ipText(e.remoteIp))) continue;
    const key = `${e.proto}/${ipText(e.localIp)}/${e.localPort}/${ipText(e.remoteIp)}/${e.remotePort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let pktType: PktType = listening[e.proto].has(e.localPort) ? 'HOST' : 'OUTGOING';
    if (e.proto === 'tcp' && e.state === TCP.SYN_SENT) pktType = 'OUTGOING';
    if (e.proto === 'tcp' && e.state === TCP.SYN_RECV) pktType = 'HOST';
    const { state: _state, ...tuple } = e;
    out.push({ ...tuple, pktType });
  }
  return out;
}
