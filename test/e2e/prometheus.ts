// A real Prometheus (Debian's /usr/bin/prometheus, installed by hack/install-deps) for
// end-to-end tests: a temporary config and data dir, a free port on 127.0.0.1, scraping
// the given targets every second; queried through its HTTP API as a user's PromQL would be.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `promtool check metrics` on an exposition text: its findings, empty when it passes. */
export function promtoolCheckMetrics(text: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, ['check', 'metrics'], (err, stdout, stderr) =>
      resolve(err ? `${stdout}${stderr}`.trim() || String(err) : ''),
    );
    child.stdin?.end(text);
  });
}

/**
 * host:port over HTTP, or an HTTPS target with its CA and bearer token (files), and the
 * target labels and honor_labels prometheus-operator would give it from a ServiceMonitor.
 */
export type ScrapeTarget =
  | string
  | {
      address: string;
      caFile: string;
      tokenFile: string;
      serverName?: string;
      path?: string;
      labels?: Record<string, string>;
      honorLabels?: boolean;
    };

export class Prometheus {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly log: string[],
  ) {}

  /**
   * Starts Prometheus scraping `targets` (path /metrics) every second, all as job
   * "netgraph": host:port over plain HTTP (an agent's metrics port), or the operator's
   * HTTPS port with the CA to pin and the bearer token to show (operator-port.ts).
   */
  static async start(targets: ScrapeTarget[]): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'netgraph-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    const plain = targets.filter((t) => typeof t === 'string');
    const secure = targets.filter((t) => typeof t !== 'string');
    const job = (
      name: string,
      addresses: string[],
      more: string[] = [],
      labels: Record<string, string> = {},
    ) => [
      `  - job_name: ${name}`,
      `    static_configs: [{ targets: ${JSON.stringify(addresses)}, labels: ${JSON.stringify(labels)} }]`,
      `    relabel_configs: [{ target_label: job, replacement: netgraph }]`,
      ...more,
    ];
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        ...(plain.length ? job('netgraph', plain) : []),
        ...secure.flatMap((t, i) =>
          job(
            `netgraph-https-${i}`,
            [t.address],
            [
              '    scheme: https',
              `    metrics_path: ${JSON.stringify(t.path ?? '/metrics')}`,
              `    tls_config: { ca_file: ${JSON.stringify(t.caFile)}${t.serverName ? `, server_name: ${JSON.stringify(t.serverName)}` : ''} }`,
              `    authorization: { credentials_file: ${JSON.stringify(t.tokenFile)} }`,
              `    honor_labels: ${t.honorLabels === true}`,
            ],
            t.labels,
          ),
        ),
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const log: string[] = [];
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
    const p = new Prometheus(`http://127.0.0.1:${port}`, child, dir, log);
    const end = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${log.join('')}`);
      const ready = await fetch(`${p.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return p;
      if (Date.now() > end) throw new Error(`prometheus not ready in 30 s: ${log.join('')}`);
      await sleep(200);
    }
  }

  /** An instant query, now; throws with Prometheus's error on a bad query. */
  async query(promql: string): Promise<Sample[]> {
    const r = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await r.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return (body.data?.result ?? []).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  }

  /** Polls `promql` until `done` holds for its result; returns that result. */
  async until(
    promql: string,
    done: (samples: Sample[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<Sample[]> {
    const end = Date.now() + timeoutMs;
    let last: Sample[] = [];
    for (;;) {
      last = await this.query(promql);
      if (done(last)) return last;
      if (Date.now() > end)
        throw new Error(
          `${promql}: not as expected in ${timeoutMs} ms, last ${JSON.stringify(last)}`,
        );
      await sleep(500);
    }
  }

  /** The health of every scrape target, as Prometheus sees it. */
  async targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]> {
    const r = await fetch(`${this.url}/api/v1/targets`);
    const body = (await r.json()) as {
      data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
    };
    return body.data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => this.child.kill('SIGKILL'))]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
