#!/usr/bin/env node
// Looks a name up at one DNS server, as an application's resolver does (node:dns, c-ares:
// UDP, and TCP when the answer comes truncated), and prints the addresses.
//
//   node dns-client.mjs --server 10.244.0.9 --name api.example.test [--type A|AAAA] [--port 53]
//
// stdout: {"event":"answer","name":"api.example.test","type":"A","addresses":["203.0.113.7"]}
// Exit 1 (with the error on stderr) when the lookup fails.
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', default: 'A' },
    port: { type: 'string', default: '53' },
  },
});
if (!values.server || !values.name || !['A', 'AAAA'].includes(values.type)) {
  console.error('usage: dns-client.mjs --server ADDR --name NAME [--type A|AAAA] [--port N]');
  process.exit(2);
}
const resolver = new Resolver({ timeout: 2000, tries: 2 });
const host = net.isIPv6(values.server) ? `[${values.server}]` : values.server;
resolver.setServers([`${host}:${values.port}`]);
try {
  const addresses =
    values.type === 'A'
      ? await resolver.resolve4(values.name)
      : await resolver.resolve6(values.name);
  process.stdout.write(
    `${JSON.stringify({ event: 'answer', name: values.name, type: values.type, addresses })}\n`,
  );
} catch (err) {
  console.error(`lookup ${values.name} ${values.type} at ${values.server}: ${err.message}`);
  process.exit(1);
}
