import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6 } from '../../lib/ip.js';
import { parseSocketTable, type SeedFlow, type SocketEntry, seedFlows } from './socket-table.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/proc-net-${name}.txt`, import.meta.url), 'latin1');
const ip = (b: Uint8Array) => (b.length === 4 ? formatIPv4(b) : formatIPv6(b));
const text = (f: SeedFlow) =>
  `${f.pktType} ${f.proto}${f.family} ${ip(f.localIp)}:${f.localPort} -> ${ip(f.remoteIp)}:${f.remotePort}`;

const all = () => [
  ...parseSocketTable(fixture('tcp'), 'tcp'),
  ...parseSocketTable(fixture('tcp6'), 'tcp'),
  ...parseSocketTable(fixture('udp'), 'udp'),
  ...parseSocketTable(fixture('udp6'), 'udp'),
];

describe('parseSocketTable', () => {
  it('decodes host-order hex addresses, ports and states', () => {
    const [listen, est] = parseSocketTable(fixture('tcp'), 'tcp') as [SocketEntry, SocketEntry];
    expect(listen).toMatchObject({ family: 4, localPort: 8080, remotePort: 0, state: 0x0a });
    expect(ip(listen.localIp)).toBe('0.0.0.0');
    expect(ip(est.localIp)).toBe('10.123.0.1');
    expect(ip(est.remoteIp)).toBe('10.123.0.2');
    expect(est).toMatchObject({ localPort: 8080, remotePort: 40000, state: 1 });
  });

  it('turns IPv4-mapped peers of dual-stack sockets into IPv4', () => {
    const [, mapped, v6] = parseSocketTable(fixture('tcp6'), 'tcp') as SocketEntry[] as [
      SocketEntry,
      SocketEntry,
      SocketEntry,
    ];
    expect(mapped).toMatchObject({ family: 4, localPort: 9000, remotePort: 41000 });
    expect(ip(mapped.remoteIp)).toBe('10.123.0.2');
    expect(v6.family).toBe(6);
    expect(ip(v6.localIp)).toBe('fd00:123::1');
  });

  it('skips headers and malformed lines', () => {
    expect(parseSocketTable('  sl  local_address\n  0: zz\n\n 1: 0100007F:0050', 'tcp')).toEqual(
      [],
    );
  });
});

describe('seedFlows', () => {
  it('seeds open connections with their direction, skipping loopback and own addresses', () => {
    const flows = seedFlows(all(), ['10.123.0.1', 'fd00:123::1']).map(text);
    expect(flows).toEqual([
      // accepted on the listening port 8080
      'HOST tcp4 10.123.0.1:8080 -> 10.123.0.2:40000',
      // an outgoing connection; the TIME_WAIT one next to it is gone
      'OUTGOING tcp4 10.123.0.1:51000 -> 10.123.0.2:5201',
      // SYN_SENT is always outgoing (127.0.0.1 and own-address flows left out)
      'OUTGOING tcp4 10.123.0.1:51002 -> 10.123.0.2:80',
      // accepted by a dual-stack listener on :::9000
      'HOST tcp4 10.123.0.1:9000 -> 10.123.0.2:41000',
      // CLOSE_WAIT still carries packets; the pod listens on 9000, but here 9000 is the peer's
      'OUTGOING tcp6 fd00:123::1:46001 -> fd00:123::2:9000',
      // a connected UDP client
      'OUTGOING udp4 10.123.0.1:45000 -> 10.123.0.2:53',
      // a connected UDP socket on the port a bound UDP server uses
      'HOST udp4 10.123.0.1:53 -> 10.123.0.2:45001',
      'OUTGOING udp6 fd00:123::1:46000 -> fd00:123::2:5353',
    ]);
  });
});
