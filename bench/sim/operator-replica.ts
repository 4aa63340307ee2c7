// One operator replica as the scale bench runs it: the real operator process, built from
// this checkout, its JSON log written straight to a file (at 100k edge lines a second a
// pipe into the bench would cost the bench the CPU it measures with), read back as it
// grows: edge lines counted by their ending, every other line kept. Its /metrics is read
// over its HTTPS port as the test bed's admin, pinning the certificate it was given.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import https from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NETGRAPH_NS, OPERATOR_SA } from '../../test/e2e/netgraph.js';
import { kubeConfig, repoRoot } from '../../test/e2e/testbed.js';
import { rssMB } from '../lib/proc-sample.js';

/** How pino ends an edge line (the message is its last field) and a total's. */
const EDGE_END = '"msg":"edge"}';
const TOTAL_END = '"msg":"edge total"}';
/** Other lines kept, at most (warnings and errors are what matter among them). */
const MAX_KEPT = 20_000;

export interface ReplicaOptions {
  id: string;
  kubeconfig: string;
  logDir: string;
  /** The port's certificate and key (PEM files), and the certificate to pin. */
  tls: { certFile: string; keyFile: string; cert: string };
  /** Its port on 127.0.0.1 (freePort()). */
  port: number;
  /** The operator's flags (its --help): --replica-id and --advertise-url are passed if it has them. */
  flags: string;
}

/** A port on 127.0.0.1 free now: replicas are told each other's ports before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export class OperatorReplica {
  readonly child: ChildProcess;
  readonly logPath: string;
  readonly exited: Promise<void>;
  /** Lines logged so far: new edges counted, the rest but edge totals parsed (up to MAX_KEPT). */
  edgeLines = 0;
  readonly lines: Record<string, unknown>[] = [];
  private readonly fd: number;
  private offset = 0;
  private partial = '';
  private readonly buf = Buffer.alloc(1 << 20);

  constructor(private readonly o: ReplicaOptions) {
    this.logPath = join(o.logDir, `operator-${o.id}.log`);
    const out = openSync(this.logPath, 'w');
    this.child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin/netgraph-operator.js'),
        '--kubeconfig',
        o.kubeconfig,
        '--namespace',
        NETGRAPH_NS,
        '--service-account',
        OPERATOR_SA,
        '--http-listen',
        `127.0.0.1:${o.port}`,
        '--tls-cert-file',
        o.tls.certFile,
        '--tls-key-file',
        o.tls.keyFile,
        ...(o.flags.includes('--replica-id') ? ['--replica-id', o.id] : []),
        ...(o.flags.includes('--advertise-url')
          ? ['--advertise-url', `https://127.0.0.1:${o.port}`]
          : []),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, NETGRAPH_LOG_LEVEL: 'info' },
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    this.fd = openSync(this.logPath, 'r');
    this.exited = new Promise((r) => this.child.on('exit', () => r()));
  }

  get id(): string {
    return this.o.id;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Reads what the log gained since the last call. */
  poll(): void {
    const buf = this.buf;
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n === 0) break;
      this.offset += n;
      const text = this.partial + buf.toString('utf8', 0, n);
      const cut = text.lastIndexOf('\n');
      this.partial = text.slice(cut + 1);
      if (cut < 0) continue;
      for (const line of text.slice(0, cut).split('\n')) {
        if (line.endsWith(EDGE_END)) this.edgeLines++;
        else if (!line.endsWith(TOTAL_END) && this.lines.length < MAX_KEPT) {
          try {
            this.lines.push(JSON.parse(line));
          } catch {
            this.lines.push({ msg: line });
          }
        }
      }
    }
  }

  /** Waits for a log line with this message; fails if the process exits first. */
  async waitMsg(msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      const hit = this.lines.find((l) => l.msg === msg);
      if (hit) return hit;
      if (!this.running) throw new Error(`replica ${this.id} exited: ${this.tail()}`);
      if (Date.now() > end) throw new Error(`replica ${this.id}: no "${msg}" in ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** The last lines that are not edges: what to show when it fails. */
  tail(n = 5): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l).slice(0, 400))
      .join('\n');
  }

  rssMB(): number {
    return this.running ? rssMB(this.child.pid as number) : 0;
  }

  /** The samples of one metric on /metrics, by their label text ('' when none). */
  async metric(name: string): Promise<Map<string, number>> {
    const text = await this.get('/metrics');
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m?.[1] === name) out.set(m[2] ?? '', Number(m[3]));
    }
    return out;
  }

  private get(path: string): Promise<string> {
    const user = kubeConfig().getCurrentUser();
    return new Promise((resolve, reject) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port: this.o.port,
          path,
          ca: this.o.tls.cert,
          servername: 'localhost',
          cert: Buffer.from(user?.certData ?? '', 'base64').toString(),
          key: Buffer.from(user?.keyData ?? '', 'base64').toString(),
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            text += d;
          });
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(text)
              : reject(new Error(`replica ${this.id}: ${path} answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await Promise.race([this.exited, sleep(10_000).then(() => this.child.kill('SIGKILL'))]);
    this.poll();
  }
}
