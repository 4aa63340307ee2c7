// `netgraph-gadget local` end to end, from source (the bin runs the same main()
// from dist/): real namespaces, real traffic, JSON lines with the contract's names.
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_FIELDS } from '../../api/edge.js';
import { build } from '../e2e/netgraph.js';
import { makePair, type Pair, peer, run } from './netns-lib.js';

const CLI = fileURLToPath(new URL('./gadget-cli.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/netgraph-gadget.js', import.meta.url));
const root = process.getuid?.() === 0;

type Result = { code: number; stdout: string; stderr: string };

function exec(file: string, args: string[]): Promise<Result> {
  return promisify(execFile)(file, args).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: Result) => err,
  );
}

const gadget = (...args: string[]) => exec(process.execPath, ['--import', 'tsx', CLI, ...args]);

/**
 * The built CLI (bin/, as users run it) as user nobody. It keeps one capability,
 * reading any file, so it can load this checkout wherever it lies (a clone in a
 * 0700 temporary folder, say): the user is what the CLI checks, not what it can read.
 */
const gadgetAsNobody = (...args: string[]) =>
  exec('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--inh-caps=+dac_read_search',
    '--ambient-caps=+dac_read_search',
    process.execPath,
    BIN,
    ...args,
  ]);

describe.skipIf(!root)('netgraph-gadget local', () => {
  let pair: Pair;
  beforeAll(() => {
    pair = makePair('cli', 202);
  });
  afterAll(() => pair?.cleanup());

  it('prints JSON lines that follow the edge contract', async () => {
    const srv = peer(pair.b, 'tcp-listen', '0.0.0.0', 8080, 100);
    try {
      expect(await srv.line()).toBe('ready');
      const traced = gadget(
        'local',
        '--netns',
        pair.a,
        '--netns',
        pair.b,
        '--duration',
        '5s',
        '--interval',
        '500ms',
      );
      // Give it time to start and attach, then talk.
      await new Promise((r) => setTimeout(r, 2500));
      await run(pair.a, 'tcp-connect', pair.v4.b, 8080, 4, 100);
      const { code, stdout, stderr } = await traced;
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const l of lines) {
        // Known names only, in the contract's order.
        const names = Object.keys(l);
        expect(names.every((n) => (EDGE_FIELDS as readonly string[]).includes(n))).toBe(true);
        expect(names).toEqual(EDGE_FIELDS.filter((f) => names.includes(f)));
      }
      const last = (pod: string) => lines.filter((l) => l.pod === pod).at(-1);
      expect(last(pair.a)).toMatchObject({
        node: hostname(),
        pod: pair.a,
        type: 'normal',
        pktType: 'OUTGOING',
        proto: 'tcp',
        ip: pair.v4.b,
        port: 8080,
        podIP: pair.v4.a,
        connections: 4,
      });
      expect(last(pair.b)).toMatchObject({
        pktType: 'HOST',
        ip: pair.v4.a,
        port: 8080,
        connections: 4,
      });
      expect(last(pair.a)).not.toHaveProperty('namespace');
    } finally {
      srv.proc.kill();
    }
  });

  it('prints a table at the end', async () => {
    const { code, stdout } = await gadget(
      'local',
      '--netns',
      pair.a,
      '--duration',
      '300ms',
      '--output',
      'table',
    );
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^POD\s+DIR\s+PROTO\s+REMOTE\s+PORT\s+CONNS/);
  });

  it('takes --attach tcx, and says on stderr when a namespace has no host-side veth', async () => {
    // The pair's veth joins its two namespaces, not this one: the socket filter stands in.
    const { code, stderr } = await gadget(
      'local',
      '--netns',
      pair.a,
      '--duration',
      '300ms',
      '--attach',
      'tcx',
    );
    expect(code).toBe(0);
    expect(stderr).toBe(
      `netgraph-gadget: TCX not attached for ${pair.a} (no host-side veth): socket filter used instead\n`,
    );
  });

  it('fails with one line on stderr for bad input', async () => {
    for (const [args, msg] of [
      [
        ['--netns', 'ng-no-such-ns'],
        'netgraph-gadget: network namespace "ng-no-such-ns" not found',
      ],
      [
        ['--duration', 'soon'],
        'netgraph-gadget: --duration must be a duration like 10s, not "soon"',
      ],
      [['--output', 'xml'], 'netgraph-gadget: --output must be json or table, not "xml"'],
      [
        ['--max-edges', '0'],
        'netgraph-gadget: --max-edges must be a whole number from 1 to 16777216, not "0"',
      ],
      [['--bogus'], "netgraph-gadget: Unknown option '--bogus' (see --help)"],
    ] as const) {
      const { code, stdout, stderr } = await gadget('local', ...args);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toBe(`${msg}\n`);
    }
    build();
    const nobody = await gadgetAsNobody('local', '--netns', pair.a);
    expect(nobody).toMatchObject({
      code: 1,
      stderr:
        'netgraph-gadget: local must run as root: it loads BPF programs and enters network namespaces\n',
    });
    const r = await gadget('bogus');
    expect(r).toMatchObject({
      code: 1,
      stderr: 'netgraph-gadget: unknown command "bogus" (try --help)\n',
    });
  });
});
