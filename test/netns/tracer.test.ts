// Real eBPF on real packets between two namespaces made here (root only), in both
// attach modes: the socket filter (two namespaces joined by a veth) and TCX (two
// pod namespaces routed through a node namespace that holds their host-side veths).
// Byte counts include IP and TCP/UDP headers, so they are asserted exactly where
// the headers are fixed (UDP), and otherwise as the same packets seen from both
// ends (a's sent == b's received, exactly) plus tight bounds from the payload:
// every TCP packet carries 20 (IPv4) or 40 (IPv6) bytes of IP header and 20..40
// bytes of TCP header (options: timestamps on every segment, more on SYNs).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { bpfObjectPath } from '../../gadget/dataplane/bpf-path.js';
import { BpfObject } from '../../gadget/dataplane/libbpf.js';
import { close as closeFd } from '../../gadget/dataplane/libc.js';
import { listNetns, resolveNetns } from '../../gadget/dataplane/netns.js';
import { inNetns } from '../../gadget/dataplane/netns-thread.js';
import { podNetnsFinder } from '../../gadget/dataplane/pod-netns.js';
import {
  openTracer,
  openTracers,
  type Tracer,
  type TracerOptions,
} from '../../gadget/dataplane/tracer.js';
import { nodeMainThreadComm } from '../node-comm.js';
import { makePair, makeRoutedPair, type Pair, type Peer, peer, run } from './netns-lib.js';

const root = process.getuid?.() === 0;

/** Runs of the empty tc program so far (kernel.bpf_stats_enabled), from bpftool. */
function emptyRuns(): number {
  const progs = JSON.parse(
    execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }),
  ) as {
    name?: string;
    run_cnt?: number;
  }[];
  return progs.filter((p) => p.name === 'empty_tcx').reduce((n, p) => n + (p.run_cnt ?? 0), 0);
}

/** Turns the kernel's program statistics on; returns the function that restores the setting. */
function enableBpfStats(): () => void {
  const sysctl = '/proc/sys/kernel/bpf_stats_enabled';
  const before = readFileSync(sysctl, 'utf8').trim();
  writeFileSync(sysctl, '1');
  return () => writeFileSync(sysctl, before);
}
const settle = () => new Promise((r) => setTimeout(r, 150));

type Counted = Edge &
  Required<Pick<Edge, 'connections' | 'packetsSent' | 'packetsReceived'>> &
  Required<Pick<Edge, 'bytesSent' | 'bytesReceived' | 'bytesTotal' | 'firstSeen' | 'lastSeen'>>;

/** The one normal edge matching `want`, from everything drained so far. */
function edge(edges: Edge[], want: Partial<Edge>): Counted {
  const found = edges.filter(
    (e) => e.type === 'normal' && Object.entries(want).every(([k, v]) => e[k as keyof Edge] === v),
  );
  expect(found, JSON.stringify(want)).toHaveLength(1);
  return found[0] as Counted;
}

/** TCP header bounds: payload + per-packet headers between min and max. */
function expectTcpBytes(bytes: number, payload: number, packets: number, ipHeader: number) {
  expect(bytes).toBeGreaterThanOrEqual(payload + packets * (ipHeader + 20));
  expect(bytes).toBeLessThanOrEqual(payload + packets * (ipHeader + 40));
}

describe.skipIf(!root).each(['socket', 'tcx'] as const)(
  'tracer on real namespaces (%s)',
  (mode) => {
    let pair: Pair;
    let opts: TracerOptions;
    let ta: Tracer;
    let tb: Tracer;
    const seen: { a: Edge[]; b: Edge[] } = { a: [], b: [] };
    /** Drains both sides; later drains replace earlier edges (counters are cumulative). */
    const drain = async () => {
      await settle();
      for (const [side, t] of [
        ['a', ta],
        ['b', tb],
      ] as const) {
        for (const e of t.drain()) {
          const i = seen[side].findIndex(
            (x) =>
              x.type === 'normal' &&
              x.pktType === e.pktType &&
              x.proto === e.proto &&
              x.ip === e.ip &&
              x.port === e.port,
          );
          if (e.type === 'normal' && i >= 0) seen[side][i] = e;
          else seen[side].push(e);
        }
      }
      return seen;
    };

    beforeAll(async () => {
      if (mode === 'tcx') {
        const routed = makeRoutedPair('trx', 212);
        pair = routed;
        opts = { attach: 'tcx', hostNetns: `/var/run/netns/${routed.node}` };
      } else {
        pair = makePair('trc', 201);
        opts = {};
      }
      [ta, tb] = (await openTracers([pair.a, pair.b], opts)) as [Tracer, Tracer];
      // Attached as asked: a TCX run that fell back would test the socket filter twice.
      expect([ta.mode, tb.mode, ta.warning]).toEqual([mode, mode, undefined]);
    });
    afterAll(() => {
      ta?.close();
      tb?.close();
      pair?.cleanup();
    });

    it('finds the namespaces and their addresses, from inside them', async () => {
      const all = await listNetns();
      const a = all.find((n) => n.inode === ta.netns.inode);
      expect(a).toMatchObject({ name: pair.a, path: `/var/run/netns/${pair.a}`, host: false });
      expect(a?.addrs.sort()).toEqual([pair.v4.a, pair.v6.a].sort());
      expect(all.filter((n) => n.host)).toHaveLength(1);
      expect(new Set(all.map((n) => `${n.dev}:${n.inode}`)).size).toBe(all.length);
      // Any spelling of an address finds the namespace holding it.
      const holders = async (ip: string) =>
        (await podNetnsFinder()({ uid: '', ips: [ip] })).holders.map((n) => n.inode);
      expect(await holders(pair.v6.b)).toEqual([tb.netns.inode]);
      expect(await holders(pair.v6.b.toUpperCase().replace('::', ':0::'))).toEqual([
        tb.netns.inode,
      ]);
      expect((await resolveNetns(`/var/run/netns/${pair.b}`)).inode).toBe(tb.netns.inode);
      await expect(resolveNetns('ng-no-such-ns')).rejects.toThrow(
        'network namespace "ng-no-such-ns" not found',
      );
    });

    it('counts TCP over IPv4 and IPv6 as edges with direction, server port and bytes', async () => {
      const srv = peer(pair.b, 'tcp-listen', '::', 8080, 500);
      try {
        expect(await srv.line()).toBe('ready');
        await run(pair.a, 'tcp-connect', pair.v4.b, 8080, 3, 1000);
        await run(pair.a, 'tcp-connect', pair.v6.b, 8080, 2, 1000);
      } finally {
        srv.proc.kill();
      }
      const { a, b } = await drain();
      for (const [fam, ipHeader, conns] of [
        ['v4', 20, 3],
        ['v6', 40, 2],
      ] as const) {
        const out = edge(a, { pktType: 'OUTGOING', proto: 'tcp', ip: pair[fam].b, port: 8080 });
        const inn = edge(b, { pktType: 'HOST', proto: 'tcp', ip: pair[fam].a, port: 8080 });
        expect(out.connections).toBe(conns);
        expect(inn.connections).toBe(conns);
        // The same packets, seen leaving one namespace and entering the other.
        expect(out.packetsSent).toBe(inn.packetsReceived);
        expect(out.packetsReceived).toBe(inn.packetsSent);
        expect(out.bytesSent).toBe(inn.bytesReceived);
        expect(out.bytesReceived).toBe(inn.bytesSent);
        expect(out.bytesTotal).toBe(out.bytesSent + out.bytesReceived);
        // Each connection: SYN, ACK, data, FIN at least from the client.
        expect(out.packetsSent).toBeGreaterThanOrEqual(4 * conns);
        expectTcpBytes(out.bytesSent, 1000 * conns, out.packetsSent, ipHeader);
        expectTcpBytes(out.bytesReceived, 500 * conns, out.packetsReceived, ipHeader);
        expect(Date.parse(out.firstSeen)).toBeLessThanOrEqual(Date.parse(out.lastSeen));
        expect(Math.abs(Date.parse(out.lastSeen) - Date.now())).toBeLessThan(10_000);
      }
      // Nothing else: no reversed edges, no loopback.
      expect(a.filter((e) => e.proto === 'tcp')).toHaveLength(2);
      expect(b.filter((e) => e.proto === 'tcp')).toHaveLength(2);
    });

    it('counts UDP on any port, IPv4 and IPv6, with exact bytes', async () => {
      for (const [fam, port, ipHeader] of [
        ['v4', 40999, 20],
        ['v6', 53, 40],
      ] as const) {
        const srv = peer(pair.b, 'udp-listen', fam === 'v4' ? '0.0.0.0' : '::', port);
        try {
          expect(await srv.line()).toBe('ready');
          await run(pair.a, 'udp-send', pair[fam].b, port, 5, 64);
        } finally {
          srv.proc.kill();
        }
        const { a, b } = await drain();
        const perPacket = ipHeader + 8 + 64;
        const out = edge(a, { pktType: 'OUTGOING', proto: 'udp', ip: pair[fam].b, port });
        expect(out).toMatchObject({
          connections: 1,
          packetsSent: 5,
          packetsReceived: 5,
          bytesSent: 5 * perPacket,
          bytesReceived: 5 * perPacket,
        });
        const inn = edge(b, { pktType: 'HOST', proto: 'udp', ip: pair[fam].a, port });
        expect(inn).toMatchObject({ connections: 1, packetsSent: 5, packetsReceived: 5 });
      }
    });

    it('captures 200 short connections, exactly', async () => {
      const before = {
        a: seen.a.find((e) => e.port === 9000)?.connections ?? 0,
        b: seen.b.find((e) => e.port === 9000)?.connections ?? 0,
      };
      const srv = peer(pair.b, 'tcp-listen', '0.0.0.0', 9000, 0);
      let done: string;
      try {
        expect(await srv.line()).toBe('ready');
        done = await run(pair.a, 'tcp-connect', pair.v4.b, 9000, 200, 10);
      } finally {
        srv.proc.kill();
      }
      // "done 200 max Xms median Yms": short connections, as promised.
      const median = Number(/median ([\d.]+)ms/.exec(done)?.[1]);
      expect(median).toBeLessThan(10);
      const { a, b } = await drain();
      expect(before).toEqual({ a: 0, b: 0 });
      expect(edge(a, { pktType: 'OUTGOING', port: 9000 }).connections).toBe(200);
      expect(edge(b, { pktType: 'HOST', port: 9000 }).connections).toBe(200);
      expect(ta.stats().midstream + tb.stats().midstream).toBe(0);
    });

    it('names the process that opened outgoing connections, and none where they differ', async () => {
      const comm = nodeMainThreadComm();
      const srv = peer(pair.b, 'tcp-listen', '0.0.0.0', 7100, 0);
      const clients: number[] = [];
      try {
        expect(await srv.line()).toBe('ready');
        const one = peer(pair.a, 'tcp-connect', pair.v4.b, 7100, 2, 10);
        expect(await one.closed).toBe(0);
        clients.push(one.proc.pid ?? 0);
        const { a, b } = await drain();
        // `ip netns exec` execs node, so the peer's pid is the connecting process.
        expect(edge(a, { pktType: 'OUTGOING', port: 7100 })).toMatchObject({
          connections: 2,
          pid: clients[0],
          comm,
        });
        expect(edge(b, { pktType: 'HOST', port: 7100 })).not.toHaveProperty('pid');
        const other = peer(pair.a, 'tcp-connect', pair.v4.b, 7100, 1, 10);
        expect(await other.closed).toBe(0);
        clients.push(other.proc.pid ?? 0);
      } finally {
        srv.proc.kill();
      }
      const { a } = await drain();
      const mixed = edge(a, { pktType: 'OUTGOING', port: 7100 });
      expect(clients[0]).not.toBe(clients[1]);
      expect(mixed).toMatchObject({ connections: 3, comm });
      expect(mixed).not.toHaveProperty('pid');
    });

    it('reports a connection opened before attach, and counts its later bytes the right way', async () => {
      const srv = peer(pair.b, 'tcp-listen', '::', 7000, 0);
      let cli: Peer | undefined;
      let late: Tracer[] = [];
      try {
        expect(await srv.line()).toBe('ready');
        cli = peer(pair.a, 'tcp-hold', pair.v6.b, 7000);
        expect(await cli.line()).toMatch(/^ready \d+$/);
        // Fresh tracers, attached while the connection is already established (a
        // namespace is attached once at a time in a mode: the first ones go).
        ta.close();
        tb.close();
        late = (await openTracers([pair.a, pair.b], opts)) as Tracer[];
        const [la, lb] = late as [Tracer, Tracer];
        expect(la.stats().seeded).toBe(1);
        expect(lb.stats().seeded).toBe(1);
        cli.send('send 3000');
        expect(await cli.line()).toBe('sent');
        await settle();
        const out = edge(la.drain(), {
          pktType: 'OUTGOING',
          proto: 'tcp',
          ip: pair.v6.b,
          port: 7000,
        });
        const inn = edge(lb.drain(), { pktType: 'HOST', proto: 'tcp', ip: pair.v6.a, port: 7000 });
        for (const e of [out, inn])
          expect(e).toMatchObject({ connections: 1, debug: 'seen before attach' });
        // 3000 bytes from the client, none back (only ACKs).
        expectTcpBytes(out.bytesSent, 3000, out.packetsSent, 40);
        expectTcpBytes(out.bytesReceived, 0, out.packetsReceived, 40);
        expect(out.bytesSent).toBe(inn.bytesReceived);
        expect(out.packetsReceived).toBe(inn.packetsSent);
        expect(la.stats().midstream + lb.stats().midstream).toBe(0);
      } finally {
        cli?.send('close');
        for (const t of late) t.close();
        srv.proc.kill();
      }
    });

    it("warns, never silently, when the node's edge table is full", async () => {
      // Sizes are the node's, set when its first pod is attached.
      ta.close();
      tb.close();
      const small = await openTracer(pair.b, { ...opts, maxEdges: 2 });
      try {
        await run(pair.a, 'udp-fire', pair.v4.b, '41001,41002,41003,41004,41005', 16);
        await settle();
        const out = small.drain();
        expect(out.filter((e) => e.type === 'normal')).toHaveLength(2);
        const warn = out.filter((e) => e.type === 'warn');
        expect(warn).toHaveLength(1);
        expect(warn[0]?.message).toMatch(/no room for new edges of .*: 3 new connections dropped/);
        expect(small.stats()).toMatchObject({ edges: 2, edgeDrops: 3 });
        // Reported once: the next drain has nothing new.
        expect(small.drain()).toEqual([]);
      } finally {
        small.close();
      }
    });

    it('leaks no file descriptor over many attach/close cycles', async () => {
      const fds = () => readdirSync('/proc/self/fd').length;
      // One cycle first: the first load opens libraries and caches for good.
      (await openTracer(pair.a, opts)).close();
      const before = fds();
      for (let i = 0; i < 25; i++) {
        const ts = await openTracers([pair.a, pair.b], opts);
        for (const t of ts) if (!(t instanceof Error)) t.close();
      }
      expect(fds()).toBe(before);
    });

    it('attaches once per namespace, and says why an attach failed', async () => {
      const [x, y, bad] = await openTracers(
        [pair.a, `/var/run/netns/${pair.a}`, 'ng-no-such-ns'],
        opts,
      );
      try {
        expect(x).toBe(y);
        expect(bad).toBeInstanceOf(Error);
        expect((bad as Error).message).toBe('network namespace "ng-no-such-ns" not found');
        // Once at a time: a second attachment in the mode would count every packet twice.
        await expect(openTracer(pair.a, opts)).rejects.toThrow(
          'an address of the namespace is traced already in this mode',
        );
      } finally {
        (x as Tracer).close();
      }
    });
  },
);

describe.skipIf(!root)('tcx attach mode', () => {
  it('falls back to the socket filter, saying why, for a pod with no host-side veth', async () => {
    // Joined to each other, not to this (the node's) namespace.
    const pair = makePair('tfb', 205);
    const t = await openTracer(pair.a, { attach: 'tcx' });
    try {
      expect(t.mode).toBe('socket');
      expect(t.warning).toBe(
        `TCX not attached for ${pair.a} (no host-side veth): socket filter used instead`,
      );
      const srv = peer(pair.b, 'udp-listen', '0.0.0.0', 4100);
      try {
        expect(await srv.line()).toBe('ready');
        await run(pair.a, 'udp-send', pair.v4.b, 4100, 3, 64);
      } finally {
        srv.proc.kill();
      }
      await settle();
      expect(edge(t.drain(), { proto: 'udp', port: 4100 })).toMatchObject({ packetsSent: 3 });
    } finally {
      t.close();
      pair.cleanup();
    }
  });

  it('leaves the other TCX programs on the veth attached and running when it detaches', async () => {
    const pair = makeRoutedPair('tco', 206);
    const hostPath = `/var/run/netns/${pair.node}`;
    const restoreStats = enableBpfStats();
    // "Theirs" stands for another tc user of the veth (a CNI): the empty tc program,
    // attached first, so netgraph's links go in front of it.
    const empty = BpfObject.load(bpfObjectPath('empty'), {}, ['empty_tcx']);
    const fd = empty.programFd('empty_tcx');
    const [r] = await inNetns([
      { path: `/var/run/netns/${pair.a}`, tcx: { inFd: fd, outFd: fd, hostPath } },
    ]);
    const theirs = r?.ok ? (r.links ?? []) : [];
    const ours = await openTracer(pair.a, { attach: 'tcx', hostNetns: hostPath });
    const srv = peer(pair.b, 'udp-listen', '0.0.0.0', 4200);
    try {
      expect([theirs.length, ours.mode]).toEqual([2, 'tcx']);
      expect(await srv.line()).toBe('ready');
      const before = emptyRuns();
      await run(pair.a, 'udp-send', pair.v4.b, 4200, 2, 64);
      await settle();
      // Both saw every packet (2 out, 2 back): netgraph's TCX_NEXT passes each on unchanged.
      expect(edge(ours.drain(), { port: 4200 })).toMatchObject({
        packetsSent: 2,
        packetsReceived: 2,
      });
      expect(emptyRuns() - before).toBeGreaterThanOrEqual(4);
      ours.close();
      const after = emptyRuns();
      await run(pair.a, 'udp-send', pair.v4.b, 4200, 3, 64);
      await settle();
      expect(emptyRuns() - after).toBeGreaterThanOrEqual(6);
    } finally {
      srv.proc.kill();
      ours.close();
      for (const l of theirs) closeFd(l);
      empty.close();
      restoreStats();
      pair.cleanup();
    }
  });
});
