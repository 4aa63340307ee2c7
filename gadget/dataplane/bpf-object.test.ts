// The committed BPF objects are what bpf/build makes from the committed sources,
// and the layouts in bpf-abi.ts are the ones in their BTF.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DIR,
  EDGE,
  EDGE_KEY,
  FLOW_CACHE,
  FLOW_KEY,
  FLOW_VAL,
  POD_KEY,
  POD_STATE,
  STATE,
} from './bpf-abi.js';

const BPF = fileURLToPath(new URL('../../bpf/', import.meta.url));
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!has('clang'))('bpf/build (skipped: clang is not installed)', () => {
  it('rebuilds the committed objects byte for byte', () => {
    const out = mkdtempSync(join(tmpdir(), 'netgraph-bpf-'));
    try {
      execFileSync(join(BPF, 'build'), [out], { stdio: 'pipe' });
      for (const o of ['netgraph.bpf.o', 'netgraph-owner.bpf.o', 'empty.bpf.o']) {
        const fresh = readFileSync(join(out, o));
        const committed = readFileSync(join(BPF, o));
        expect(
          fresh.equals(committed),
          `${o} differs from a rebuild: run bpf/build and commit`,
        ).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!has('bpftool'))('BPF ABI (skipped: bpftool is not installed)', () => {
  /** struct name -> { size, member -> byte offset } from the object's BTF. */
  function btfStructs(): Map<string, { size: number; members: Record<string, number> }> {
    const dump = execFileSync(
      'bpftool',
      ['btf', 'dump', 'file', join(BPF, 'netgraph.bpf.o'), 'format', 'raw'],
      {
        encoding: 'utf8',
      },
    );
    const out = new Map<string, { size: number; members: Record<string, number> }>();
    let cur: { size: number; members: Record<string, number> } | undefined;
    for (const line of dump.split('\n')) {
      const s = /^\[\d+\] STRUCT '(\w+)' size=(\d+)/.exec(line);
      if (s?.[1]) {
        cur = { size: Number(s[2]), members: {} };
        out.set(s[1], cur);
        continue;
      }
      const m = /^\s+'(\w+)' type_id=\d+ bits_offset=(\d+)/.exec(line);
      if (m?.[1] && cur) cur.members[m[1]] = Number(m[2]) / 8;
      else if (!line.startsWith('\t')) cur = undefined;
    }
    return out;
  }

  it('matches bpf-abi.ts', () => {
    const btf = btfStructs();
    const check = (name: string, layout: Record<string, number>, names: Record<string, string>) => {
      const s = btf.get(name);
      expect(s?.size, name).toBe(layout.size);
      for (const [ts, c] of Object.entries(names))
        expect(s?.members[c], `${name}.${c}`).toBe(layout[ts]);
    };
    check('flow_key', FLOW_KEY, {
      family: 'family',
      proto: 'proto',
      lport: 'lport',
      rport: 'rport',
      pod: 'pod',
      lip: 'lip',
      rip: 'rip',
    });
    check('flow_val', FLOW_VAL, { edge: 'edge', synSeq: 'syn_seq' });
    check('edge_key', EDGE_KEY, {
      pktType: 'pkt_type',
      proto: 'proto',
      family: 'family',
      port: 'port',
      pod: 'pod',
      ip: 'ip',
    });
    check('edge', EDGE, {
      key: 'key',
      valid: 'valid',
      connections: 'connections',
      firstSeen: 'first_seen',
      sent: 'sent',
      received: 'received',
    });
    check('dir_counters', DIR, { packets: 'packets', bytes: 'bytes', lastSeen: 'last_seen' });
    check('state', STATE, {
      head: 'head',
      tail: 'tail',
      maxEdges: 'max_edges',
      fairShare: 'fair_share',
      reserve: 'reserve',
      dns: 'dns',
      dnsDrops: 'dns_drops',
    });

    check('pod_state', POD_STATE, {
      edges: 'edges',
      edgeDrops: 'edge_drops',
      flowDrops: 'flow_drops',
      midstream: 'midstream',
    });
    check('flow_cache', FLOW_CACHE, {});
    check('pod_key', POD_KEY, { kind: 'kind', addr: 'addr' });
  });
});
