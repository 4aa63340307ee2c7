#!/usr/bin/env node
// A small authoritative DNS server for the test bed's pods, over UDP and TCP.
//
//   node dns-server.mjs --zone '{"api.example.test":{"A":["203.0.113.7"],"ttl":2}}' [--port 53]
//                       [--host ::] [--tcp-only name,...]
//
// --zone      JSON: name -> {A?: [ipv4], AAAA?: [ipv6], CNAME?: name, ttl?: seconds (default 30)}
// --port      port to serve on, UDP and TCP (default 53)
// --host      address to bind (default ::, which also serves IPv4)
// --tcp-only  names answered over UDP with the TC bit and no records, so the client asks
//             again over TCP (RFC 1035 4.2.1)
//
// A question for a name in the zone gets its CNAME chain (within the zone) and the A or
// AAAA records of the chain's end, as resolvers send them; any other name NXDOMAIN.
//
// stdout, one JSON object per line:
//   {"event":"listening","host":"::","port":53}
//   {"event":"query","transport":"udp","name":"api.example.test","type":"A","remote":"10.244.0.2","answers":1}
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    zone: { type: 'string' },
    port: { type: 'string', default: '53' },
    host: { type: 'string', default: '::' },
    'tcp-only': { type: 'string', default: '' },
  },
});
if (values.zone === undefined) {
  console.error('usage: dns-server.mjs --zone JSON [--port N] [--host ADDR] [--tcp-only NAMES]');
  process.exit(2);
}
const zone = new Map(Object.entries(JSON.parse(values.zone)).map(([k, v]) => [k.toLowerCase(), v]));
const tcpOnly = new Set(values['tcp-only'].split(',').filter(Boolean));
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const plain = (a) => (a?.startsWith('::ffff:') ? a.slice(7) : a);
const TYPES = { 1: 'A', 5: 'CNAME', 28: 'AAAA' };

/** The question's name (lowercase) and where the question ends. */
function question(q) {
  const labels = [];
  let at = 12;
  while (q[at] !== 0) {
    labels.push(q.subarray(at + 1, at + 1 + q[at]).toString('latin1'));
    at += q[at] + 1;
  }
  return { name: labels.join('.').toLowerCase(), end: at + 5, type: q.readUInt16BE(at + 1) };
}

const encodeName = (name) =>
  Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);

function record(name, type, ttl, data) {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2);
  head.writeUInt32BE(ttl, 4);
  head.writeUInt16BE(data.length, 8);
  return Buffer.concat([encodeName(name), head, data]);
}

function v6Bytes(ip) {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => {
    b.writeUInt16BE(Number.parseInt(g, 16), 2 * i);
  });
  return b;
}

/** The response to query q, and how many records it holds. */
function answer(q, transport) {
  const { name, end, type } = question(q);
  const records = [];
  let at = name;
  for (let hops = 0; hops < 8 && zone.get(at)?.CNAME; hops++) {
    const z = zone.get(at);
    records.push(record(at, 5, z.ttl ?? 30, encodeName(z.CNAME.toLowerCase())));
    at = z.CNAME.toLowerCase();
  }
  const z = zone.get(at);
  if (z && type === 1)
    for (const ip of z.A ?? [])
      records.push(record(at, 1, z.ttl ?? 30, Buffer.from(ip.split('.').map(Number))));
  if (z && type === 28)
    for (const ip of z.AAAA ?? []) records.push(record(at, 28, z.ttl ?? 30, v6Bytes(ip)));
  const truncate = transport === 'udp' && tcpOnly.has(name);
  const header = Buffer.alloc(12);
  q.copy(header, 0, 0, 2);
  // QR, AA, RD as asked, RA; TC when the client must ask over TCP; NXDOMAIN for a name not in the zone.
  header.writeUInt16BE(
    0x8480 | ((q[2] & 1) << 8) | (truncate ? 0x0200 : 0) | (zone.has(name) ? 0 : 3),
    2,
  );
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(truncate ? 0 : records.length, 6);
  const body = Buffer.concat([header, q.subarray(12, end), ...(truncate ? [] : records)]);
  print({
    event: 'query',
    transport,
    name,
    type: TYPES[type] ?? type,
    answers: truncate ? 0 : records.length,
  });
  return body;
}

const udp = dgram.createSocket(net.isIPv4(values.host) ? 'udp4' : 'udp6');
udp.on('message', (msg, rinfo) => {
  try {
    udp.send(answer(msg, 'udp'), rinfo.port, rinfo.address);
  } catch (err) {
    print({ event: 'error', remote: plain(rinfo.address), message: String(err) });
  }
});
const tcp = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + q.length);
      const a = answer(q, 'tcp');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(a.length);
      sock.write(Buffer.concat([len, a]));
    }
  });
  sock.on('error', () => {});
});
const exit = () => {
  udp.close();
  tcp.close();
  process.exit(0);
};
process.on('SIGTERM', exit);
process.on('SIGINT', exit);
const port = Number(values.port);
udp.bind(port, values.host, () =>
  tcp.listen(port, values.host, () => print({ event: 'listening', host: values.host, port })),
);
