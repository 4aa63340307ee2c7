#!/usr/bin/env node
// TCP client for the test bed's pods: connect, send N bytes, read the echo back.
//
//   node tcp-client.mjs --host 10.96.0.10 --port 8080 [--bytes 64] [--count 1]
//                       [--local-port P] [--local-host A] [--hold MS] [--timeout MS] [--no-echo]
//
// --host, --port  server to connect to (IPv4 or IPv6 address)
// --bytes         bytes to send per connection (default 64; a repeating pattern)
// --count         connections to make, one after the other (default 1)
// --local-port    source port to bind (with --count > 1 the port is reused in turn)
// --local-host    source address to bind
// --hold          keep each connection open this many ms after the echo (default 0)
// --timeout       per-connection timeout in ms (default 5000)
// --no-echo       only send, do not wait for an echo (received stays 0)
//
// stdout, one JSON object per line:
//   {"event":"done","conn":1,"ok":true,"local":"10.244.0.2","localPort":40000,
//    "remote":"10.244.0.1","remotePort":8080,"sent":64,"received":64,"echo":"<first 32 bytes>"}
//   {"event":"summary","ok":1,"failed":0}
// exit status 0 when every connection got its bytes back unchanged, 1 otherwise.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    bytes: { type: 'string', default: '64' },
    count: { type: 'string', default: '1' },
    'local-port': { type: 'string' },
    'local-host': { type: 'string' },
    hold: { type: 'string', default: '0' },
    timeout: { type: 'string', default: '5000' },
    'no-echo': { type: 'boolean', default: false },
  },
});
if (values.host === undefined || values.port === undefined) {
  console.error('usage: tcp-client.mjs --host ADDR --port N [--bytes N] [--count N] ...');
  process.exit(2);
}
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const plain = (a) => (a?.startsWith('::ffff:') ? a.slice(7) : a);
const size = Number(values.bytes);
const pattern = Buffer.from('netgraph-test-bed-payload-0123456789|');
const payload = Buffer.alloc(size);
for (let i = 0; i < size; i++) payload[i] = pattern[i % pattern.length];

function once(conn) {
  return new Promise((resolve) => {
    const chunks = [];
    let received = 0;
    let info = {};
    let finished = false;
    const sock = net.connect({
      host: values.host,
      port: Number(values.port),
      localPort: values['local-port'] === undefined ? undefined : Number(values['local-port']),
      localAddress: values['local-host'],
    });
    const finish = (ok, error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const echo = Buffer.concat(chunks);
      const result = {
        event: 'done',
        conn,
        ok,
        ...info,
        sent: size,
        received,
        echo: echo.subarray(0, 32).toString(),
      };
      if (error) result.error = error;
      print(result);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false, 'timeout'), Number(values.timeout));
    sock.on('connect', () => {
      info = {
        local: plain(sock.localAddress),
        localPort: sock.localPort,
        remote: plain(sock.remoteAddress),
        remotePort: sock.remotePort,
      };
      sock.write(payload);
      if (values['no-echo']) {
        sock.end();
        setTimeout(() => finish(true), Number(values.hold));
      }
    });
    sock.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= size) {
        const same = Buffer.concat(chunks).subarray(0, size).equals(payload);
        setTimeout(() => {
          sock.end();
          finish(same, same ? undefined : 'echo differs from what was sent');
        }, Number(values.hold));
      }
    });
    sock.on('error', (err) => finish(false, err.code ?? err.message));
    sock.on('close', () => finish(values['no-echo'] || received >= size, 'closed early'));
  });
}

let ok = 0;
let failed = 0;
for (let i = 1; i <= Number(values.count); i++) {
  if (await once(i)) ok++;
  else failed++;
}
print({ event: 'summary', ok, failed });
process.exit(failed === 0 ? 0 : 1);
