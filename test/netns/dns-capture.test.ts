// The DNS answers the node's program hands to user space (BPF_PROG_TEST_RUN on
// crafted packets, through the node's one object as the agent loads it): a pod's
// answers from port 53 over UDP and TCP, the payload's bytes as they were and its
// whole length, the first 512 bytes of a longer one; nothing for the packets that
// are not answers (queries the pod sends, other ports, a bare ACK), nothing with
// capture off; answers past the room it has are counted, for the agent's metric.
// Real traffic through the socket filter is test/e2e/dns-names.test.ts's.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCapturedDns } from '../../gadget/agent/dns-answer.js';
import { testRun } from '../../gadget/dataplane/libbpf.js';
import { type NodeObject, nodeDnsDrops, nodeObject } from '../../gadget/dataplane/node-object.js';
import { podKey, setPodOf } from '../../gadget/dataplane/pod-of.js';
import { openTracer, type Tracer } from '../../gadget/dataplane/tracer.js';
import { frame, TCP_SYN } from './frames.js';
import { makePair, type Pair } from './netns-lib.js';

const root = process.getuid?.() === 0;
const POD = '10.1.0.5';
const SERVER = '10.96.0.10';

const answer = dnsPacket.encode({
  type: 'response',
  id: 9,
  questions: [{ type: 'A', name: 'api.example.com' }],
  answers: [{ type: 'A', name: 'api.example.com', ttl: 30, data: '203.0.113.7' }],
});
const fromServer = { src: SERVER, dst: POD, sport: 53, dport: 41000 };

describe.skipIf(!root)('DNS answers handed to user space', () => {
  let node: NodeObject;
  let pod: { id: number; keys: Buffer[] };
  beforeEach(() => {
    node = nodeObject({ maxEdges: 16, maxFlows: 64 });
    node.dns.capture = true;
    const id = node.addPod('test');
    pod = { id, keys: [podKey(POD, 'tcx')] };
    for (const k of pod.keys) setPodOf(node.podOfFd, k, id);
  });
  afterEach(() => node.removePod(pod.id, pod.keys));

  /** What the pod received (host-side egress), or sent (host-side ingress). */
  const run = (dir: 'sent' | 'received', f: Buffer) =>
    testRun(dir === 'sent' ? node.progs.tcxIn : node.progs.tcxOut, f);

  it("hands over a UDP answer's bytes with its pod, whichever server sent it", () => {
    run(
      'sent',
      frame({ src: POD, dst: SERVER, sport: 41000, dport: 53, proto: 'udp', payload: 40 }),
    );
    run('received', frame({ ...fromServer, proto: 'udp', payload: answer }));
    run('received', frame({ ...fromServer, src: '203.0.113.53', proto: 'udp', payload: answer }));
    const got = node.dns.take(pod.id);
    expect(got).toHaveLength(2);
    for (const a of got) {
      expect(a.transport).toBe('udp');
      expect(a.wireLength).toBe(answer.length);
      expect(Buffer.from(a.bytes).equals(answer)).toBe(true);
    }
    expect(node.dns.take(pod.id)).toEqual([]);
  });

  it('hands over a TCP segment with data from port 53, not its SYN-ACK or a bare ACK', () => {
    const tcp = Buffer.concat([Buffer.from([answer.length >> 8, answer.length & 255]), answer]);
    run(
      'sent',
      frame({ src: POD, dst: SERVER, sport: 41001, dport: 53, proto: 'tcp', flags: TCP_SYN }),
    );
    run('received', frame({ ...fromServer, dport: 41001, proto: 'tcp', flags: 0x12 }));
    run('received', frame({ ...fromServer, dport: 41001, proto: 'tcp', flags: 0x10 }));
    run('received', frame({ ...fromServer, dport: 41001, proto: 'tcp', payload: tcp }));
    const got = node.dns.take(pod.id);
    expect(got.map((a) => [a.transport, a.wireLength])).toEqual([['tcp', tcp.length]]);
    expect(Buffer.from(got[0]?.bytes ?? []).equals(tcp)).toBe(true);
  });

  it('keeps the first 512 bytes of a longer answer, and its whole length', () => {
    const long = Buffer.alloc(1400, 7);
    run('received', frame({ ...fromServer, proto: 'udp', payload: long }));
    const [a] = node.dns.take(pod.id);
    expect(a?.wireLength).toBe(1400);
    expect(a?.bytes.length).toBe(512);
  });

  it('hands over nothing else: other ports, queries, packets of pods not traced, capture off', () => {
    run('received', frame({ ...fromServer, sport: 5353, proto: 'udp', payload: answer }));
    run(
      'sent',
      frame({ src: POD, dst: SERVER, sport: 53, dport: 41000, proto: 'udp', payload: answer }),
    );
    run('received', frame({ ...fromServer, dst: '10.1.0.6', proto: 'udp', payload: answer }));
    node.dns.capture = false;
    run('received', frame({ ...fromServer, proto: 'udp', payload: answer }));
    expect(node.dns.take(pod.id)).toEqual([]);
    expect(node.dns.drops()).toBe(0);
  });

  it('counts the answers it had no room for, and the count outlives the object', () => {
    const before = nodeDnsDrops();
    const f = frame({ ...fromServer, proto: 'udp', payload: answer });
    // More than the 1 MiB ring holds, and more than the pod may have waiting.
    const sent = 3000;
    for (let i = 0; i < sent; i++) run('received', f);
    const handed = node.dns.take(pod.id).length;
    const dropped = node.dns.drops();
    expect(handed).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(handed + dropped).toBe(sent);
    expect(nodeDnsDrops() - before).toBe(dropped);
    // The last pod goes and the object unloads; the agent's metric does not go down.
    node.removePod(pod.id, pod.keys);
    expect(nodeDnsDrops() - before).toBe(dropped);
    node = nodeObject({ maxEdges: 16, maxFlows: 64 });
    pod = { id: node.addPod('test'), keys: [] };
    expect(nodeDnsDrops() - before).toBe(dropped);
  });
});

describe.skipIf(!root)('DNS answers of real lookups, through the socket filter', () => {
  const tools = fileURLToPath(new URL('../e2e/tools/', import.meta.url));
  let pair: Pair;
  let tracer: Tracer;
  let server: ChildProcess;
  beforeAll(async () => {
    pair = makePair('dns', 41);
    tracer = await openTracer(`/var/run/netns/${pair.a}`, { attach: 'socket', dnsCapture: true });
    const zone = {
      'udp.example.test': { A: ['203.0.113.7'], ttl: 30 },
      'tcp.example.test': { A: ['203.0.113.8'], AAAA: ['2001:db8::8'], ttl: 30 },
    };
    server = spawn('ip', [
      ...['netns', 'exec', pair.b, process.execPath, `${tools}dns-server.mjs`],
      ...['--zone', JSON.stringify(zone), '--tcp-only', 'tcp.example.test'],
    ]);
    await new Promise((r) => server.stdout?.once('data', r));
  });
  afterAll(() => {
    server?.kill();
    tracer?.close();
    pair?.cleanup();
  });

  const lookup = (name: string, type: string, at = pair.v4.b) =>
    execFileSync('ip', [
      ...['netns', 'exec', pair.a, process.execPath, `${tools}dns-client.mjs`],
      ...['--server', at, '--name', name, '--type', type],
    ]).toString();

  it('hands over the answer of a UDP lookup, and of one retried over TCP', () => {
    expect(lookup('udp.example.test', 'A')).toContain('203.0.113.7');
    expect(lookup('tcp.example.test', 'AAAA', pair.v6.b)).toContain('2001:db8::8');
    const got = tracer.dnsAnswers();
    const names = got.map((a) => {
      const p = parseCapturedDns(a);
      return [
        a.transport,
        p.ok ? p.answer.records.map((r) => 'address' in r && r.address) : p.error,
      ];
    });
    expect(names).toEqual([
      ['udp', ['203.0.113.7']],
      ['udp', []],
      ['tcp', ['2001:db8::8']],
    ]);
  });
});
