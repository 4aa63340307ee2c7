// `kubectl netgraph` as a user gets it: `npm pack` of this checkout, `npm install -g` of
// the tarball into a prefix of its own, and kubectl finding `kubectl-netgraph` on PATH.
// netgraph runs from its chart on the test bed's real node (image built here), the demo's
// client calls the server through its Service, and the plugin drives the seed Trace:
// start, observe (the client's edge, through a port-forward to the operator's pod),
// get, ui (the graph API through the local proxy), stop, generate, and its refusals.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { helmBinary } from '../chart-render.js';
import { followersOf } from './agent-streams.js';
import { clearChartLeftovers } from './chart-leftovers.js';
import {
  addRealNode,
  clearNamespaces,
  jsonLines,
  kubeconfigPath,
  kubectl,
  repoRoot,
  testbedScript,
  waitFor,
} from './testbed.js';

const NODE = 'albantyphoon-worker000003';
const NS = 'netgraph';
const SEED = join(repoRoot, 'test/fixtures/traces/seed-network-graph.yaml');
const TRACE = ['network-graph', '-n', 'gadget'];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  o: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: o.timeoutMs, maxBuffer: 64 << 20, env: o.env ?? process.env, cwd: o.cwd },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function must(file: string, args: string[], timeoutMs: number, cwd?: string) {
  const r = await run(file, args, {
    timeoutMs,
    cwd,
    env: { ...process.env, KUBECONFIG: kubeconfigPath() },
  });
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

let prefix = '';
let helm = '';
/** The user's environment: the installed plugin and this Node first on PATH, the test bed's kubeconfig. */
const userEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${prefix}/bin:${dirname(process.execPath)}:${process.env.PATH}`,
  KUBECONFIG: kubeconfigPath(),
});
/** `kubectl netgraph ARGS`, as typed. */
const plugin = (args: string[], timeoutMs = 90_000) =>
  run('kubectl', ['netgraph', ...args], { timeoutMs, env: userEnv() });

/** A long-running `kubectl netgraph` (observe, ui) with its output as it comes. */
class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[]) {
    this.child = spawn('kubectl', ['netgraph', ...args], {
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }
  lines(): string[] {
    return this.stdout.split('\n').filter((l) => l !== '');
  }
  /** Ctrl-C, as a user ends it. */
  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }
}

const running: Running[] = [];
const start = (args: string[]) => {
  const r = new Running(args);
  running.push(r);
  return r;
};

beforeAll(async () => {
  helm = await helmBinary();
  await addRealNode(NODE);
  await must(testbedScript, ['image', 'build'], 1_200_000);
  await clearChartLeftovers(NS);
  await clearNamespaces([NS, 'demo', 'gadget']);
  await must(
    helm,
    [
      'install',
      'netgraph',
      join(repoRoot, 'charts/netgraph'),
      '-n',
      NS,
      '--create-namespace',
      '-f',
      join(repoRoot, 'hack/testbed.d/chart-values.yaml'),
      '--set',
      'gadget.interval=500ms',
      '--wait',
      '--timeout',
      '3m',
    ],
    300_000,
  );
  for (const w of ['deploy/netgraph-operator', 'ds/netgraph-gadget'])
    await kubectl(['rollout', 'status', '-n', NS, w, '--timeout=120s'], { timeoutMs: 130_000 });
  await kubectl(['create', 'namespace', 'demo']);
  await kubectl(['create', 'namespace', 'gadget']);
  await kubectl(['apply', '-f', join(repoRoot, 'hack/demo.d/workloads.yaml')]);
  for (const d of ['server', 'client'])
    await kubectl(['rollout', 'status', '-n', 'demo', `deploy/${d}`, '--timeout=120s'], {
      timeoutMs: 130_000,
    });
  await kubectl(['apply', '-f', SEED]);

  // The plugin as npm users get it: pack (which builds), then install the tarball globally.
  prefix = mkdtempSync(join(tmpdir(), 'netgraph-plugin-'));
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  await must('npm', ['pack', '--pack-destination', prefix], 600_000, repoRoot);
  await must(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      join(prefix, `netgraph-${version}.tgz`),
    ],
    600_000,
  );
}, 2_400_000);

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await kubectl(
    ['delete', 'trace', '--all', '-n', 'gadget', '--ignore-not-found', '--timeout=30s'],
    {
      timeoutMs: 40_000,
    },
  ).catch(() => {});
  await must(helm, ['uninstall', 'netgraph', '-n', NS, '--wait'], 300_000).catch(() => {});
  await kubectl(
    ['delete', 'namespace', 'demo', 'gadget', NS, '--ignore-not-found', '--timeout=120s'],
    {
      timeoutMs: 130_000,
    },
  ).catch(() => {});
  await must(testbedScript, ['node', 'del', NODE], 120_000).catch(() => {});
  if (prefix) rmSync(prefix, { recursive: true, force: true });
}, 600_000);

describe('kubectl netgraph, installed from the npm tarball', () => {
  it('is found by kubectl and says its version and usage', async () => {
    const v = await plugin(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^kubectl-netgraph \d+\.\d+\.\d+ \(netgraph, Node\.js v/);
    const help = await plugin(['observe', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kubectl netgraph observe NAME/);
    // kubectl plugins' usage errors exit 2, with the reason on stderr.
    const bad = await plugin(['observe']);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/^error: observe needs the Trace's NAME/);
  });

  it('starts the seed Trace and prints it Started on the node with both pods', async () => {
    const r = await plugin(['start', ...TRACE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gadget\/network-graph Started/);
    expect(r.stdout).toContain(`  ${NODE}: Started`);
    // The agent attaches to the client and the server pods on the real node soon after.
    const row = await waitFor(
      async () => {
        const get = await plugin(['get', '-n', 'gadget']);
        expect(get.code).toBe(0);
        const line = get.stdout.split('\n').find((l) => l.includes(NODE));
        return line?.split(/ {3,}/)[6] === '2' ? line : undefined;
      },
      { timeoutMs: 30_000, what: 'get showing the node with 2 pods' },
    );
    expect(row.split(/ {3,}/)).toEqual([
      'network-graph',
      'Started',
      expect.stringMatching(/^\d+$/),
      expect.any(String),
      NODE,
      'Started',
      '2',
    ]);
  });

  it("observes the client's edge to the Service through a port-forward to the operator", async () => {
    const obs = start(['observe', ...TRACE]);
    const line = await waitFor(
      async () =>
        obs
          .lines()
          .find((l) => /demo\/pod\/client-\S+\s+demo\/service\/server\s+tcp\/80\s/.test(l)),
      { timeoutMs: 60_000, what: `the client's edge in observe's output (${obs.stderr})` },
    );
    expect(obs.lines()[0]).toMatch(/^TIME \(UTC\)\s+NODE\s+SOURCE\s+DESTINATION\s+PORT/);
    process.stderr.write(`[kubectl-plugin] observe:\n${obs.lines()[0]}\n${line}\n`);
    expect(line).toContain(NODE);
    expect(await obs.interrupt()).toBe(0);

    // -o json: the operator's edge fields, one object a line.
    const json = start(['observe', ...TRACE, '-o', 'json', '--since', '10m']);
    const edge = await waitFor(
      async () =>
        json
          .lines()
          .map((l) => JSON.parse(l) as Edge)
          .find((e) => e.pod?.startsWith('client-') && e.remoteKind === 'svc'),
      { timeoutMs: 60_000, what: `the client's edge as JSON (${json.stderr})` },
    );
    expect(edge).toMatchObject({
      node: NODE,
      namespace: 'demo',
      pktType: 'OUTGOING',
      proto: 'tcp',
      port: 80,
      remoteServiceNamespace: 'demo',
      remoteServiceName: 'server',
    });
    expect(await json.interrupt()).toBe(0);
  });

  it('serves the graph API on 127.0.0.1 with the kubeconfig, and nothing to another Host', async () => {
    const ui = start(['ui', ...TRACE]);
    const url = await waitFor(async () => ui.lines()[0], {
      timeoutMs: 30_000,
      what: `ui's URL (${ui.stderr})`,
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?trace=gadget%2Fnetwork-graph$/);
    // The operator's port is HTTPS: the plugin trusts the certificate the operator
    // published, and the admin's client certificate is the identity the operator checks.
    expect(ui.stderr).toContain(
      'port 9090 over HTTPS pinned to ConfigMap netgraph/netgraph-operator-cert, through the API server',
    );
    const base = new URL(url);
    const list = (await (await fetch(new URL('/api/v1/traces', base))).json()) as {
      traces: { trace: string; state: string }[];
    };
    expect(list.traces).toContainEqual(
      expect.objectContaining({ trace: 'gadget/network-graph', state: 'Started' }),
    );
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // A page of another site resolved to 127.0.0.1 (DNS rebinding) sends its own Host.
    const rebound = await new Promise<number>((resolve, reject) =>
      request(
        {
          host: '127.0.0.1',
          port: base.port,
          path: '/api/v1/traces',
          headers: { host: `evil.example:${base.port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end(),
    );
    expect(rebound).toBe(403);
    expect(await ui.interrupt()).toBe(0);
  });

  it('stops the Trace; observe then replays its edges and ends by itself', async () => {
    const r = await plugin(['stop', ...TRACE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gadget\/network-graph Stopped, [1-9]\d* edges/);
    const replay = await plugin(['observe', ...TRACE, '-o', 'json']);
    expect(replay.code).toBe(0);
    expect(replay.stderr).toContain('trace gadget/network-graph stopped');
    const edges = replay.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Edge);
    expect(
      edges.some((e) => e.pod?.startsWith('client-') && e.remoteServiceName === 'server'),
    ).toBe(true);
  });

  it('generates NetworkPolicies from what the Trace saw', async () => {
    const r = await plugin(['generate', ...TRACE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^gadget\/network-graph: [1-9]\d* NetworkPolicies in status\.output \(kubectl get trace/,
    );
    const yaml = await kubectl(['get', 'trace', ...TRACE, '-o', 'jsonpath={.status.output}']);
    expect(yaml).toContain('name: server-netgraph');
  });

  it("tells a user without get on the Trace which right the operator's port wants (403)", async () => {
    // A ServiceAccount that may reach the operator (port-forward) but may not read the Trace.
    await kubectl(['create', 'serviceaccount', '-n', 'gadget', 'stranger']);
    await kubectl([
      'create',
      'role',
      '-n',
      NS,
      'reach-operator',
      '--verb=get,list,create',
      '--resource=services,pods,configmaps,pods/portforward',
    ]);
    await kubectl([
      'create',
      'rolebinding',
      '-n',
      NS,
      'reach-operator',
      '--role=reach-operator',
      '--serviceaccount=gadget:stranger',
    ]);
    const token = (await kubectl(['create', 'token', '-n', 'gadget', 'stranger'])).trim();
    const config = join(prefix, 'stranger.kubeconfig');
    writeFileSync(config, readFileSync(kubeconfigPath()), { mode: 0o600 });
    for (const args of [
      ['config', 'set-credentials', 'stranger', `--token=${token}`],
      ['config', 'set-context', '--current', '--user=stranger'],
    ])
      await must('kubectl', [...args, '--kubeconfig', config], 30_000);
    const r = await plugin([
      'observe',
      ...TRACE,
      '--operator-namespace',
      NS,
      '--kubeconfig',
      config,
    ]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('HTTP 403');
    expect(r.stderr).toContain(
      'user "system:serviceaccount:gadget:stranger" may not get traces.gadget.kinvolk.io "network-graph" in namespace gadget',
    );
  });

  it('says on stderr, exiting 1, what the operator or the API server refused', async () => {
    const missing = await plugin(['start', 'nope', '-n', 'gadget']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('error: trace gadget/nope not found\n');
    // The operator refuses to stop a Trace that is not running: its operationError.
    const stopped = await plugin(['stop', ...TRACE]);
    expect(stopped).toMatchObject({ code: 1, stdout: '' });
    expect(stopped.stderr).toMatch(/^error: gadget\/network-graph: Not started/m);
    const unknown = await plugin(['observe', 'nope', '-n', 'gadget']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^error: observe gadget\/nope: HTTP 404: trace gadget\/nope is not held/,
    );
  });

  it('keeps observing across an operator rollout, each edge once, and ends with the Trace', async () => {
    expect((await plugin(['start', ...TRACE])).code).toBe(0);
    const obs = start(['observe', ...TRACE, '-o', 'json']);
    await waitFor(async () => obs.lines().length > 0 || undefined, {
      timeoutMs: 60_000,
      what: `observe's first edge (${obs.stderr})`,
    });
    // A new operator pod (as helm upgrade makes one): the port-forward's pod is gone.
    await kubectl(['rollout', 'restart', '-n', NS, 'deploy/netgraph-operator']);
    await kubectl(['rollout', 'status', '-n', NS, 'deploy/netgraph-operator', '--timeout=120s'], {
      timeoutMs: 130_000,
    });
    await waitFor(async () => obs.stderr.includes('the stream is back') || undefined, {
      // Past observe's 2 minutes of asking, so a failure shows its last reason.
      timeoutMs: 150_000,
      what: `observe back on the new operator pod (${obs.stderr})`,
    });
    expect(obs.stderr).toMatch(
      /asking the operator \(Service netgraph\/netgraph-operator, .*\) again/,
    );
    // The rollout handed the node from the old operator pod to the new one: by the agent's
    // own log, never followed by both at once.
    const agentLog = jsonLines(await kubectl(['logs', '-n', NS, 'ds/netgraph-gadget']));
    const followed = followersOf(agentLog, 'gadget/network-graph');
    expect(followed.twice).toBeUndefined();
    expect(followed.now).toHaveLength(1);
    expect((await plugin(['stop', ...TRACE])).code).toBe(0);
    expect(await obs.exited).toBe(0);
    expect(obs.stderr).toContain('trace gadget/network-graph stopped\n');
    const keys = obs
      .lines()
      .map((l) => JSON.parse(l) as Edge)
      .map((e) => `${e.node}/${e.namespace}/${e.pod}/${e.pktType}/${e.proto}/${e.ip}/${e.port}`);
    expect(new Set(keys).size).toBe(keys.length);
  }, 400_000);
});
