#!/usr/bin/env node
// UDP sender for the test bed's pods.
//
//   node udp-client.mjs --host 10.244.0.1 --port 5353 [--bytes 32] [--count 1]
//                       [--interval MS] [--local-port P] [--expect-echo] [--timeout MS]
//
// --host, --port  where to send (IPv4 or IPv6 address)
// --bytes         datagram size (default 32)
// --count         datagrams to send (default 1), all from the same socket
// --interval      ms between datagrams (default 50)
// --local-port    source port to bind
// --expect-echo   wait for every datagram to come back (udp-server.mjs --echo)
// --timeout       with --expect-echo, ms to wait for the echoes (default 5000)
//
// stdout, one JSON object per line:
//   {"event":"sent","n":1,"local":"::","localPort":40000,"bytes":32}
//   {"event":"echo","n":1,"remote":"10.244.0.1","remotePort":5353,"bytes":32}
//   {"event":"summary","sent":1,"echoed":1}
// exit status 1 when --expect-echo and an echo is missing.
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    bytes: { type: 'string', default: '32' },
    count: { type: 'string', default: '1' },
    interval: { type: 'string', default: '50' },
    'local-port': { type: 'string' },
    'expect-echo': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '5000' },
  },
});
if (values.host === undefined || values.port === undefined) {
  console.error(
    'usage: udp-client.mjs --host ADDR --port N [--bytes N] [--count N] [--expect-echo]',
  );
  process.exit(2);
}
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const plain = (a) => (a?.startsWith('::ffff:') ? a.slice(7) : a);
const count = Number(values.count);
const payload = Buffer.alloc(Number(values.bytes), 'u');
const sock = dgram.createSocket(net.isIPv6(values.host) ? 'udp6' : 'udp4');
let echoed = 0;

sock.on('message', (msg, rinfo) => {
  echoed++;
  print({
    event: 'echo',
    n: echoed,
    remote: plain(rinfo.address),
    remotePort: rinfo.port,
    bytes: msg.length,
  });
});
const bound = new Promise((resolve) =>
  values['local-port'] === undefined ? resolve() : sock.bind(Number(values['local-port']), resolve),
);
await bound;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let n = 1; n <= count; n++) {
  await new Promise((resolve, reject) =>
    sock.send(payload, Number(values.port), values.host, (err) => (err ? reject(err) : resolve())),
  );
  const a = sock.address();
  print({ event: 'sent', n, local: plain(a.address), localPort: a.port, bytes: payload.length });
  if (n < count) await sleep(Number(values.interval));
}
if (values['expect-echo']) {
  const deadline = Date.now() + Number(values.timeout);
  while (echoed < count && Date.now() < deadline) await sleep(20);
}
print({ event: 'summary', sent: count, echoed });
sock.close();
process.exit(values['expect-echo'] && echoed < count ? 1 : 0);
