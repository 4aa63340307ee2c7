#!/usr/bin/env node
// UDP receiver for the test bed's pods, optionally echoing each datagram back.
//
//   node udp-server.mjs --port 5353 [--host ::] [--echo] [--count N]
//
// --port   port to bind (0: any free port; the chosen one is printed)
// --host   address to bind (default ::, which also receives IPv4)
// --echo   send every datagram back to its sender
// --count  exit 0 after N datagrams (default: run until SIGTERM/SIGINT)
//
// stdout, one JSON object per line:
//   {"event":"listening","host":"::","port":5353}
//   {"event":"recv","n":1,"remote":"10.244.0.2","remotePort":40000,"bytes":32}
//   {"event":"exit","datagrams":1}
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '::' },
    echo: { type: 'boolean', default: false },
    count: { type: 'string' },
  },
});
if (values.port === undefined) {
  console.error('usage: udp-server.mjs --port N [--host ADDR] [--echo] [--count N]');
  process.exit(2);
}
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const plain = (a) => (a?.startsWith('::ffff:') ? a.slice(7) : a);
const max = values.count === undefined ? Infinity : Number(values.count);

const sock = dgram.createSocket(net.isIPv4(values.host) ? 'udp4' : 'udp6');
let n = 0;
function exit() {
  print({ event: 'exit', datagrams: n });
  sock.close();
  process.exit(0);
}
sock.on('message', (msg, rinfo) => {
  n++;
  print({
    event: 'recv',
    n,
    remote: plain(rinfo.address),
    remotePort: rinfo.port,
    bytes: msg.length,
  });
  const done = () => {
    if (n >= max) exit();
  };
  if (values.echo) sock.send(msg, rinfo.port, rinfo.address, done);
  else done();
});
process.on('SIGTERM', exit);
process.on('SIGINT', exit);
sock.bind(Number(values.port), values.host, () => {
  print({ event: 'listening', host: values.host, port: sock.address().port });
});
