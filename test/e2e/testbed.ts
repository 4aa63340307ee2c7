// Typed access to the test bed (hack/testbed) for e2e tests: simulated nodes and
// pods, commands inside a pod's network namespace, kubectl and a KubeConfig.
// test/e2e/global-setup.ts brings the test bed up before any test runs.
// A simulated node or pod is wired by hack/testbed (`node net`, `pod net`: addresses,
// network namespace, veth, routes) and its object written from here, through
// lib/kube.ts (test/e2e/testbed-objects.ts), with no process started for it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { isNotFound, Kube, loadKubeConfig } from '../../lib/kube.js';
import { startSandbox } from '../pod-sandbox.js';
import {
  createNode,
  createPod,
  deleteNode,
  deletePod,
  ensureNamespace,
  getNode,
  kubeVersion,
  nodeAddresses,
  ownerReference,
} from './testbed-objects.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const testbedScript = join(repoRoot, 'hack/testbed');
const toolsDir = fileURLToPath(new URL('./tools/', import.meta.url));

export interface NodeInfo {
  name: string;
  /** InternalIP, also an address on the host (interface ngtbnodes). */
  ip: string;
  ip6?: string;
}

export interface PodInfo {
  /** 'namespace/name' */
  ref: string;
  ip: string;
  ip6?: string;
  /** Network namespace name (`ip netns exec <netns>`; file /var/run/netns/<netns>). */
  netns: string;
}

export interface AddPodOptions {
  node: string;
  labels?: Record<string, string>;
  /** 'Kind/name' of an existing object in the pod's namespace, e.g. 'ReplicaSet/web-5d8f'. */
  owner?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function testbedDir(): string {
  return providedOr(
    'netgraphTestbedDir',
    process.env.NETGRAPH_TESTBED_DIR ?? '/tmp/netgraph-testbed',
  );
}

/** The admin kubeconfig (system:masters) of the test bed. */
export function kubeconfigPath(): string {
  return providedOr('netgraphKubeconfig', join(testbedDir(), 'kubeconfig'));
}

let kube: Kube | undefined;
/** A lib/kube.ts client for the test bed (admin), one a process. */
function testbedKube(): Kube {
  kube ??= new Kube(loadKubeConfig(kubeconfigPath()));
  return kube;
}

/** A KubeConfig for the test bed, loaded from kubeconfigPath(). */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

// inject() only works inside a test worker; elsewhere fall back to the defaults.
function providedOr(key: 'netgraphKubeconfig' | 'netgraphTestbedDir', fallback: string): string {
  try {
    return inject(key) ?? fallback;
  } catch {
    return fallback;
  }
}

function execCapture(
  file: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        maxBuffer: 64 << 20,
        timeout: opts.timeoutMs ?? 60_000,
        env: { ...process.env, NETGRAPH_TESTBED_DIR: testbedDir() },
      },
      (err, stdout, stderr) => {
        let code = 0;
        if (err) code = typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Runs hack/testbed with ARGS; returns stdout, throws with stderr on failure. */
export async function testbed(args: string[]): Promise<string> {
  const r = await execCapture(testbedScript, args, { timeoutMs: 120_000 });
  if (r.code !== 0) {
    throw new Error(`hack/testbed ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * Adds a real node (a kubelet and containerd), after removing one of that name that an
 * earlier file may have left behind (a failed teardown must not fail the next file).
 */
export async function addRealNode(name: string): Promise<void> {
  await testbed(['node', 'del', name]).catch(() => {});
  await testbed(['node', 'add', name, '--kubelet']);
}

/**
 * Deletes namespaces an earlier file may have left and waits until they are gone. What
 * would hold them: Traces whose operator stopped before releasing its finalizer, and pods
 * bound to a node whose kubelet is gone; both are let go here, as an admin would.
 */
export async function clearNamespaces(names: string[]): Promise<void> {
  const present = (await kubectl(['get', 'namespaces', '-o', 'name']))
    .split('\n')
    .map((n) => n.replace('namespace/', ''))
    .filter((n) => names.includes(n));
  for (const ns of present) {
    for (const trace of (await kubectl(['get', 'traces', '-n', ns, '-o', 'name'])).split('\n'))
      if (trace)
        // It may be gone between the list and the patch.
        await kubectl([
          'patch',
          '-n',
          ns,
          trace,
          '--type=merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ]).catch(() => {});
    await kubectl(['delete', 'pods', '--all', '-n', ns, '--force', '--grace-period=0']);
  }
  if (present.length)
    await kubectl(['delete', 'namespace', ...present, '--ignore-not-found', '--timeout=120s'], {
      timeoutMs: 130_000,
    });
}

/** Runs kubectl against the test bed; returns stdout, throws with stderr on failure. */
export async function kubectl(
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const r = await execCapture('kubectl', ['--kubeconfig', kubeconfigPath(), ...args], opts);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The one JSON line `hack/testbed node|pod net add` prints; "" for no IPv6. */
interface NetAdded {
  ip: string;
  ip6: string;
  netns?: string;
}

async function netAdd(args: string[]): Promise<NetAdded> {
  const out = await testbed(args);
  try {
    return JSON.parse(out) as NetAdded;
  } catch {
    throw new Error(`hack/testbed ${args.join(' ')}: expected one JSON line, got: ${out}`);
  }
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function splitRef(ref: string): { ns: string; name: string } {
  const [ns = '', name = '', ...rest] = ref.split('/');
  if (rest.length || !NAME.test(ns) || !NAME.test(name)) {
    throw new Error(`expected NAMESPACE/NAME (Kubernetes names), got '${ref}'`);
  }
  return { ns, name };
}

/** A Ready Node; its InternalIP (10.250.0.N unless given) exists on the host. */
export async function addNode(
  name: string,
  opts: { ip?: string; ip6?: string } = {},
): Promise<NodeInfo> {
  const kube = testbedKube();
  const args = ['node', 'net', 'add', name];
  if (opts.ip) args.push('--ip', opts.ip);
  if (opts.ip6) args.push('--ip6', opts.ip6);
  const [net, version] = await Promise.all([netAdd(args), kubeVersion(kube)]);
  const node: NodeInfo = net.ip6 ? { name, ip: net.ip, ip6: net.ip6 } : { name, ip: net.ip };
  try {
    await createNode(kube, { ...node, kubeVersion: version });
  } catch (err) {
    await testbed(['node', 'net', 'del', name]).catch(() => {});
    throw err;
  }
  return node;
}

/** Deletes a simulated node: its Node object and its addresses on the host. */
export async function delNode(name: string): Promise<void> {
  await deleteNode(testbedKube(), name);
  await testbed(['node', 'net', 'del', name]);
}

/**
 * A simulated pod: a network namespace routed like a Calico pod and a Running,
 * Ready Pod object (bound to opts.node) whose status carries its IP(s).
 * The namespace is created if missing.
 */
export async function addPod(ref: string, opts: AddPodOptions): Promise<PodInfo> {
  const { ns, name } = splitRef(ref);
  const kube = testbedKube();
  const [node, owner] = await Promise.all([
    getNode(kube, opts.node),
    opts.owner ? ownerReference(kube, ns, opts.owner) : undefined,
    ensureNamespace(kube, ns),
    // `pod net add` replaces what a pod whose object is gone left: never a live pod's.
    kube.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`).then(
      () => Promise.reject(new Error(`pod ${ref} already exists`)),
      (err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)),
    ),
  ]);
  const host = nodeAddresses(node);
  const net = await netAdd(['pod', 'net', 'add', ref, '--node', opts.node]);
  const netns = net.netns;
  if (!netns) throw new Error(`hack/testbed pod net add ${ref}: no netns in its output`);
  try {
    await createPod(
      kube,
      {
        namespace: ns,
        name,
        node: opts.node,
        netns,
        ip: net.ip,
        ip6: net.ip6 || undefined,
        nodeIp: host.ip,
        nodeIp6: host.ip6,
        labels: opts.labels ?? {},
        owner,
      },
      // `pod net del` stops it with the namespace (hack/testbed.d/net.sh).
      async (uid) => void (await startSandbox(netns, uid)),
    );
  } catch (err) {
    await testbed(['pod', 'net', 'del', ref]).catch(() => {});
    throw err;
  }
  const pod: PodInfo = { ref, ip: net.ip, netns };
  if (net.ip6) pod.ip6 = net.ip6;
  return pod;
}

/** Deletes the Pod object and its network namespace. */
export async function delPod(ref: string | PodInfo): Promise<void> {
  const r = typeof ref === 'string' ? ref : ref.ref;
  const { ns, name } = splitRef(r);
  await deletePod(testbedKube(), ns, name);
  await testbed(['pod', 'net', 'del', r]);
}

/** Removes the network namespaces of pods whose object is gone (e.g. after a namespace deletion). */
export async function gcPods(): Promise<void> {
  await testbed(['pod', 'gc']);
}

/** Runs CMD inside the pod's network namespace and waits for it; never throws on a non-zero exit. */
export function podExec(
  pod: string | PodInfo,
  cmd: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return execCapture(testbedScript, ['pod', 'exec', podRef(pod), '--', ...cmd], opts);
}

/** [node, test/e2e/tools/NAME.mjs, ...args]: a command line for podExec/spawnInPod. */
export function nodeTool(
  name: 'tcp-server' | 'tcp-client' | 'udp-server' | 'udp-client' | 'dns-server' | 'dns-client',
  args: string[] = [],
): string[] {
  return [process.execPath, join(toolsDir, `${name}.mjs`), ...args];
}

/** Parses the JSON-lines output of the tools in test/e2e/tools/. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

export interface PodProcess {
  child: ChildProcess;
  /** The pid of CMD itself (hack/testbed and ip netns exec both exec, not fork). */
  pid: number;
  /** Complete stdout lines so far. */
  readonly lines: string[];
  /** stderr so far. */
  readonly stderr: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves with the first stdout line (past or future) that matches. */
  waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  /** SIGTERM (or SIGNAL), then SIGKILL after 5 s; resolves with the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
// A test that fails before its cleanup must not leave servers running in pods.
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Runs CMD in the pod's network namespace; throws with its stderr if it fails. */
export async function podRun(pod: string | PodInfo, cmd: string[]): Promise<string> {
  const r = await podExec(pod, cmd);
  if (r.code !== 0)
    throw new Error(`${cmd.join(' ')} in ${podRef(pod)} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Starts CMD in the pod's network namespace in the background. */
export function spawnInPod(pod: string | PodInfo, cmd: string[]): PodProcess {
  const child = spawn(testbedScript, ['pod', 'exec', podRef(pod), '--', ...cmd], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NETGRAPH_TESTBED_DIR: testbedDir() },
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd.join(' ')}`);
  running.add(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const pid = child.pid;

  return {
    child,
    pid,
    lines,
    get stderr() {
      return stderr;
    },
    exited,
    waitForLine(match, timeoutMs = 10_000) {
      const test = typeof match === 'function' ? match : (l: string) => match.test(l);
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `no line matching ${match} from ${cmd.join(' ')} in ${timeoutMs} ms; stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        const done = (l: string) => {
          clearTimeout(timer);
          resolve(l);
        };
        waiters.push({ test, resolve: done });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(
              `${cmd.join(' ')} exited (${code}) before printing a matching line; stderr: ${stderr}`,
            ),
          );
        });
      });
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function podRef(pod: string | PodInfo): string {
  return typeof pod === 'string' ? pod : pod.ref;
}

/** Polls FN until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** A namespace name that does not collide with earlier runs on a kept test bed. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296)
    .toString(36)
    .padStart(2, '0')}`;
}
