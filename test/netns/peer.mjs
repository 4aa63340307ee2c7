// A traffic peer run inside a test namespace (`ip netns exec NS node peer.mjs MODE ...`).
// Talks on stdout ("ready", "done ...") and takes commands on stdin ("send N", "close").
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';

const [mode, host, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const say = (line) => process.stdout.write(`${line}\n`);

if (mode === 'tcp-listen') {
  // Sink: counts what each connection sends; when the client ends, replies with `reply` bytes.
  const reply = Number(rest[0] ?? 0);
  const server = net.createServer((s) => {
    s.on('data', () => {});
    s.on('end', () => s.end(Buffer.alloc(reply, 1)));
    s.on('error', () => {});
  });
  server.listen(port, host, () => say('ready'));
} else if (mode === 'tcp-connect') {
  // `count` connections, one after another: send `size` bytes, half-close, read the reply.
  const [count, size] = rest.map(Number);
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => s.end(Buffer.alloc(size, 2)));
      s.on('data', () => {});
      s.on('close', resolve);
      s.on('error', reject);
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  say(`done ${count} max ${times.at(-1)?.toFixed(2)}ms median ${times[count >> 1]?.toFixed(2)}ms`);
} else if (mode === 'tcp-hold') {
  // One connection kept open; the test drives it from stdin.
  const s = net.connect({ host, port }, () => say(`ready ${s.localPort}`));
  s.on('data', () => {});
  s.on('close', () => {
    say('closed');
    process.exit(0);
  });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, n] = line.split(' ');
    if (cmd === 'send') s.write(Buffer.alloc(Number(n), 3), () => say('sent'));
    if (cmd === 'close') s.end();
  });
} else if (mode === 'udp-listen') {
  // Echoes each datagram back to its sender.
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sock.on('message', (m, r) => sock.send(m, r.port, r.address));
  sock.bind(port, host, () => say('ready'));
} else if (mode === 'udp-send') {
  // `count` datagrams of `size` bytes from one socket, each waiting for its echo.
  const [count, size] = rest.map(Number);
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sock.connect(port, host, async () => {
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => {
        sock.once('message', resolve);
        sock.send(Buffer.alloc(size, 4));
      });
    }
    say(`done ${count} from ${sock.address().port}`);
    sock.close();
  });
} else if (mode === 'udp-fire') {
  // One datagram of `size` bytes to each of the comma-separated ports; no reply expected.
  const [ports, size] = [portText.split(',').map(Number), Number(rest[0])];
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  for (const p of ports)
    await new Promise((resolve) => sock.send(Buffer.alloc(size), p, host, resolve));
  say(`done ${ports.length}`);
  sock.close();
} else {
  process.stderr.write(`peer: unknown mode ${mode}\n`);
  process.exit(2);
}
