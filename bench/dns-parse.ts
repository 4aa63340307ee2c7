// DNS answers parsed per second in the agent: netgraph's parser (gadget/agent/dns-answer.ts)
// beside dns-packet 5.6's decode, on one mix of answers a pod receives (a cluster name's
// single A record, an AAAA, a CNAME chain to a CDN with two A records, compressed as
// resolvers send them), and the agent's whole path: parse, then learn into the pod's
// name memory (gadget/agent/dns-names.ts). Rounds alternate the parsers so drift in
// the machine's load falls on both.
//
//   node --import tsx bench/dns-parse.ts [--answers 200000] [--rounds 7]
import { parseArgs } from 'node:util';
import * as dnsPacket from 'dns-packet';
import { parseDnsAnswer } from '../gadget/agent/dns-answer.js';
import { DnsNames } from '../gadget/agent/dns-names.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    answers: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
  },
});
const ANSWERS = Number(values.answers);
const ROUNDS = Number(values.rounds);

// dns-packet encodes names uncompressed; real resolvers compress. Compression makes
// the answers smaller and the parser follow pointers, so the mix has both.
function compressed(question: string, ip: string): Uint8Array {
  const labels = question.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const q = [...labels, 0, 0, 1, 0, 1];
  const rr = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, ...ip.split('.').map(Number)];
  return Uint8Array.from([0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...q, ...rr]);
}

const mix: Uint8Array[] = [
  compressed('web.shop.svc.cluster.local', '10.96.12.34'),
  compressed('api.example.com', '203.0.113.7'),
  dnsPacket.encode({
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'AAAA', name: 'ipv6.example.org' }],
    answers: [{ type: 'AAAA', name: 'ipv6.example.org', ttl: 300, data: '2001:db8::7' }],
  }),
  dnsPacket.encode({
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: 'www.example.com' }],
    answers: [
      { type: 'CNAME', name: 'www.example.com', ttl: 300, data: 'www.example.com.cdn.example.net' },
      {
        type: 'CNAME',
        name: 'www.example.com.cdn.example.net',
        ttl: 60,
        data: 'e7.cdn.example.net',
      },
      { type: 'A', name: 'e7.cdn.example.net', ttl: 20, data: '198.51.100.7' },
      { type: 'A', name: 'e7.cdn.example.net', ttl: 20, data: '198.51.100.8' },
    ],
  }),
];
const inputs = Array.from({ length: 1024 }, (_, i) => mix[i % mix.length] as Uint8Array);
const buffers = inputs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Answers per second of one pass over ANSWERS answers; `sink` keeps the work from being optimized away. */
let sink = 0;
function rate(parse: (i: number) => number): number {
  const t0 = performance.now();
  for (let i = 0; i < ANSWERS; i++) sink += parse(i & 1023);
  return ANSWERS / ((performance.now() - t0) / 1000);
}

const ours = (i: number) => {
  const r = parseDnsAnswer(inputs[i] as Uint8Array);
  return r.ok ? r.answer.records.length : 0;
};
const theirs = (i: number) => {
  const p = dnsPacket.decode(buffers[i] as Buffer);
  let n = 0;
  for (const a of p.answers ?? [])
    if (a.type === 'A' || a.type === 'AAAA' || a.type === 'CNAME') n++;
  return n;
};
const names = new DnsNames();
const agent = (i: number) => {
  const r = parseDnsAnswer(inputs[i] as Uint8Array);
  return r.ok ? names.learn(`pod-${i & 63}`, r.answer) : 0;
};

const runs: Record<'netgraph' | 'dnsPacket' | 'agentLearn', number[]> = {
  netgraph: [],
  dnsPacket: [],
  agentLearn: [],
};
rate(ours);
rate(theirs);
rate(agent);
for (let r = 0; r < ROUNDS; r++) {
  const order =
    r % 2
      ? (['dnsPacket', 'netgraph', 'agentLearn'] as const)
      : (['netgraph', 'dnsPacket', 'agentLearn'] as const);
  for (const k of order)
    runs[k].push(rate(k === 'netgraph' ? ours : k === 'dnsPacket' ? theirs : agent));
}
const figures = {
  answers: ANSWERS,
  rounds: ROUNDS,
  netgraphPerSecond: Math.round(median(runs.netgraph)),
  dnsPacketPerSecond: Math.round(median(runs.dnsPacket)),
  agentParseAndLearnPerSecond: Math.round(median(runs.agentLearn)),
  speedup: median(runs.netgraph) / median(runs.dnsPacket),
};
const k = (n: number) => `${(n / 1000).toFixed(0)}k`;
console.log(`answers parsed/s (median of ${ROUNDS} rounds of ${ANSWERS}):`);
console.log(`  netgraph parser  ${k(figures.netgraphPerSecond)}/s`);
console.log(`  dns-packet 5.6   ${k(figures.dnsPacketPerSecond)}/s`);
console.log(`  x${figures.speedup.toFixed(1)}`);
console.log(`  agent (parse + learn per pod) ${k(figures.agentParseAndLearnPerSecond)}/s`);
console.log(`(sink ${sink > 0}) -> ${writeResults('dns-parse', figures)}`);
