#!/usr/bin/env node
// TCP echo server for the test bed's pods.
//
//   node tcp-server.mjs --port 8080 [--host ::] [--max-conns N] [--no-echo]
//
// --port       port to listen on (0: any free port; the chosen one is printed)
// --host       address to bind (default ::, which also accepts IPv4)
// --max-conns  exit 0 once N connections have closed (default: run until SIGTERM/SIGINT)
// --no-echo    read and count bytes without sending them back
//
// stdout, one JSON object per line:
//   {"event":"listening","host":"::","port":8080}
//   {"event":"conn","conn":1,"remote":"10.244.0.2","remotePort":40000,"local":"10.244.0.1","localPort":8080}
//   {"event":"closed","conn":1,"received":64}
//   {"event":"exit","connections":1}          on SIGTERM/SIGINT or after --max-conns
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '::' },
    'max-conns': { type: 'string' },
    'no-echo': { type: 'boolean', default: false },
  },
});
if (values.port === undefined) {
  console.error('usage: tcp-server.mjs --port N [--host ADDR] [--max-conns N] [--no-echo]');
  process.exit(2);
}
const maxConns = values['max-conns'] === undefined ? Infinity : Number(values['max-conns']);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const plain = (a) => (a?.startsWith('::ffff:') ? a.slice(7) : a);

let connections = 0;
let closed = 0;
const server = net.createServer((sock) => {
  const conn = ++connections;
  let received = 0;
  print({
    event: 'conn',
    conn,
    remote: plain(sock.remoteAddress),
    remotePort: sock.remotePort,
    local: plain(sock.localAddress),
    localPort: sock.localPort,
  });
  sock.on('data', (chunk) => {
    received += chunk.length;
    if (!values['no-echo']) sock.write(chunk);
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    print({ event: 'closed', conn, received });
    if (++closed >= maxConns) exit();
  });
  // The client half-closes when it has sent everything; finish our side then.
  sock.on('end', () => sock.end());
});

function exit() {
  print({ event: 'exit', connections });
  server.close();
  process.exit(0);
}
process.on('SIGTERM', exit);
process.on('SIGINT', exit);

server.listen({ port: Number(values.port), host: values.host }, () => {
  const addr = server.address();
  print({ event: 'listening', host: values.host, port: addr.port });
});
