// `netgraph-gadget local --textfile-dir`: ngraph's metrics as a node_exporter textfile,
// read by a real node_exporter (Debian's prometheus-node-exporter) while the command
// runs, and passing promtool's lint; real namespaces, real traffic.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, promtoolCheckMetrics } from '../e2e/prometheus.js';
import { makePair, type Pair, peer, run } from './netns-lib.js';

const CLI = fileURLToPath(new URL('./gadget-cli.ts', import.meta.url));
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const root = process.getuid?.() === 0;

describe.skipIf(!root)('netgraph-gadget local --textfile-dir', () => {
  let pair: Pair;
  let dir: string;
  let exporter: ChildProcess | undefined;
  beforeAll(() => {
    pair = makePair('txt', 211);
    dir = mkdtempSync(join(tmpdir(), 'netgraph-textfile-'));
  });
  afterAll(() => {
    exporter?.kill();
    pair?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes ngraph's counters, which node_exporter serves and promtool accepts", async () => {
    const port = await freePort();
    exporter = spawn(
      NODE_EXPORTER,
      [
        `--web.listen-address=127.0.0.1:${port}`,
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${dir}`,
      ],
      { stdio: 'ignore' },
    );
    const srv = peer(pair.b, 'tcp-listen', '0.0.0.0', 8080, 100);
    try {
      expect(await srv.line()).toBe('ready');
      const traced = promisify(execFile)(process.execPath, [
        '--import',
        'tsx',
        CLI,
        'local',
        '--netns',
        pair.a,
        '--netns',
        pair.b,
        '--textfile-dir',
        dir,
        '--textfile-interval',
        '1s',
        '--interval',
        '200ms',
        '--duration',
        '7s',
      ]);
      await sleep(2500);
      await run(pair.a, 'tcp-connect', pair.v4.b, 8080, 3, 100);
      // An interval to drain, one to write, then node_exporter reads the file as it is.
      const out = `network_connections_output_total{dest_ip="${pair.v4.b}",peer_hostname="${pair.b}",src_ip="${pair.v4.a}"} 3`;
      const inn = `network_connections_input_total{dest_ip="${pair.v4.b}",peer_hostname="${pair.a}",src_ip="${pair.v4.a}"} 3`;
      let scraped = '';
      for (let i = 0; i < 20 && !(scraped.includes(out) && scraped.includes(inn)); i++) {
        await sleep(250);
        scraped = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
      }
      expect(scraped).toContain(out);
      expect(scraped).toContain(inn);
      expect(scraped).toContain('node_textfile_scrape_error 0');
      expect(scraped).toMatch(
        new RegExp(
          `network_connections_output_bytes_total\\{dest_ip="${pair.v4.b}",direction="sent",peer_hostname="${pair.b}",src_ip="${pair.v4.a}"\\} [1-9]`,
        ),
      );
      const { stderr } = await traced;
      expect(stderr).toBe('');
    } finally {
      srv.proc.kill();
    }
    // Only the file itself: the temporary one was renamed over it each time.
    expect(readdirSync(dir)).toEqual(['ngraph.prom']);
    expect(await promtoolCheckMetrics(readFileSync(join(dir, 'ngraph.prom'), 'utf8'))).toBe('');
  });

  it('refuses a folder it cannot write, at start', async () => {
    const r = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      CLI,
      'local',
      '--netns',
      pair.a,
      '--textfile-dir',
      join(dir, 'missing'),
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^netgraph-gadget: --textfile-dir .*missing: ENOENT/);
  });
});
