// Runs netgraph itself on the test bed for end-to-end tests: the operator and one
// agent per test-bed node, as processes built from this checkout, with their JSON
// log lines collected so tests can assert on the log stream users follow.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { testbedDir } from './testbed.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const NETGRAPH_NS = 'netgraph';
export const OPERATOR_SA = 'netgraph-operator';

let built = false;
/** Compiles the checkout once per test run, so the processes run the code under test. */
export function build(): void {
  if (built) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  built = true;
}

/** Every operator and agent started in this test file (test/e2e/no-token-logged.ts reads them). */
export const procs: Proc[] = [];

export class Proc {
  readonly lines: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];
  private readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.stderr.push(line);
        }
        i = buf.indexOf('\n');
      }
    });
    child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((r) => child.on('exit', (code) => r(code)));
    procs.push(this);
  }

  /** Waits for a log line matching `pred`, searching from `from`. */
  async waitLine(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs = 20_000,
    from = 0,
  ): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null)
        throw new Error(`${this.name} exited: ${this.stderr.join('').slice(-2000)}`);
      if (Date.now() > end)
        throw new Error(
          `${this.name}: no matching log line in ${timeoutMs} ms; its last lines:\n${this.tail()}`,
        );
      await sleep(50);
    }
  }

  /** The last log lines, short enough for a CI log, for a failure's message. */
  tail(count = 25): string {
    return this.lines
      .slice(-count)
      .map((l) => JSON.stringify(l).slice(0, 400))
      .join('\n');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await Promise.race([this.exited, sleep(5000).then(() => this.child.kill('SIGKILL'))]);
  }
}

function start(
  name: string,
  script: string,
  args: string[],
  kubeconfig: string,
  env: Record<string, string> = {},
): Proc {
  const child = spawn(
    process.execPath,
    [`${root}/bin/${script}`, ...args, '--kubeconfig', kubeconfig],
    {
      cwd: root,
      env: {
        ...process.env,
        NETGRAPH_LOG_LEVEL: process.env.NETGRAPH_LOG_LEVEL ?? 'debug',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Proc(name, child);
}

/** ENV is added to the process's environment (e.g. NETGRAPH_AGENT_TOKEN_FILE); ARGS to its flags. */
export function startOperator(
  kubeconfig: string,
  env?: Record<string, string>,
  args: string[] = [],
): Proc {
  return start(
    'operator',
    'netgraph-operator.js',
    // Port 0: several operators may run at once; the bound port is in the "http listening" line.
    // One replica id unless a test gives its own: an operator restarted after a SIGKILL is
    // the same replica, as a restarted container is the same pod.
    [
      '--namespace',
      NETGRAPH_NS,
      '--service-account',
      OPERATOR_SA,
      '--http-listen',
      '127.0.0.1:0',
      ...(args.includes('--replica-id') ? [] : ['--replica-id', 'e2e-operator']),
      ...args,
    ],
    kubeconfig,
    env,
  );
}

/**
 * A test bed node's address (its record in hack/testbed's state dir), where its agent
 * listens as the chart's agent listens on its node's: the operator refuses an agent whose
 * endpoint is not one of its Node's addresses. 127.0.0.1 for a node not made by hack/testbed.
 */
function nodeAddress(node: string): string {
  const rec = join(testbedDir(), 'nodes', `${node}.env`);
  return (existsSync(rec) && /^ip=(.+)$/m.exec(readFileSync(rec, 'utf8'))?.[1]) || '127.0.0.1';
}

/** ARGS are added to its flags (e.g. --metrics-listen). */
export function startAgent(
  node: string,
  kubeconfig: string,
  env?: Record<string, string>,
  args: string[] = [],
): Proc {
  return start(
    `agent ${node}`,
    'netgraph-gadget.js',
    [
      'agent',
      '--node',
      node,
      '--listen',
      `${nodeAddress(node)}:0`,
      '--namespace',
      NETGRAPH_NS,
      '--operator-service-account',
      `${NETGRAPH_NS}/${OPERATOR_SA}`,
      '--interval',
      '200ms',
      ...args,
    ],
    kubeconfig,
    env,
  );
}
