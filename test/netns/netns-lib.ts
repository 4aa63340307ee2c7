// Test namespaces joined by veth, and traffic peers run inside them. Only
// addresses of these namespaces are ever used (10.123.<n>.0/24, fd00:123:<n>::/64).
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PEER = fileURLToPath(new URL('./peer.mjs', import.meta.url));
const POD_NET = fileURLToPath(new URL('../../hack/testbed.d/pod-net', import.meta.url));

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export interface Pair {
  /** Namespace names. */
  a: string;
  b: string;
  v4: { a: string; b: string };
  v6: { a: string; b: string };
  /** Deletes both namespaces (and so the veth); safe to call twice. */
  cleanup(): void;
}

/** The names and addresses of pair `n`, and its cleanup (nothing made yet). */
function makeNamed(tag: string, n: number): Pair {
  const a = `ng-${tag}-a`;
  const b = `ng-${tag}-b`;
  return {
    a,
    b,
    v4: { a: `10.123.${n}.1`, b: `10.123.${n}.2` },
    v6: { a: `fd00:123:${n}::1`, b: `fd00:123:${n}::2` },
    cleanup: () => {
      for (const ns of [a, b]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * Waits for carrier: until then the interfaces are not RUNNING, and libuv's
 * os.networkInterfaces() (used to find a namespace's addresses) skips them.
 */
function waitUp(devs: [ns: string, dev: string][]): void {
  for (const [ns, dev] of devs) {
    const deadline = Date.now() + 5000;
    while (!String(ip('-n', ns, 'link', 'show', 'dev', dev)).includes('state UP')) {
      if (Date.now() > deadline) throw new Error(`${dev} in ${ns} did not come up`);
      execFileSync('sleep', ['0.05']);
    }
  }
}

/** Two namespaces `ng-<tag>-a/b` joined by a veth pair, IPv4 and IPv6, lo up. */
export function makePair(tag: string, n: number): Pair {
  const pair = makeNamed(tag, n);
  const { a, b } = pair;
  pair.cleanup();
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', `ng${n}a`, 'netns', a, 'type', 'veth', 'peer', 'name', `ng${n}b`, 'netns', b);
    for (const [ns, dev, side] of [
      [a, `ng${n}a`, 'a'],
      [b, `ng${n}b`, 'b'],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${pair.v4[side]}/24`, 'dev', dev);
      ip('-n', ns, 'addr', 'add', `${pair.v6[side]}/64`, 'dev', dev, 'nodad');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    waitUp([
      [a, `ng${n}a`],
      [b, `ng${n}b`],
    ]);
  } catch (err) {
    pair.cleanup();
    throw err;
  }
  return pair;
}

export interface RoutedPair extends Pair {
  /** The namespace standing for the node: it holds both pods' host-side veths and routes between them. */
  node: string;
  /** Host-side veth names, by pod. */
  hostVeth: { a: string; b: string };
}

/**
 * Two pod namespaces `ng-<tag>-a/b`, each joined by a veth to a node namespace
 * `ng-<tag>-node` that routes between them, wired as hack/testbed wires its pods (the
 * same script, hack/testbed.d/pod-net): Calico's /32 and /128 addresses, a default
 * route through the host side (169.254.1.1, fe80::1), a host route per pod. Forwarding
 * is turned on inside the node namespace only.
 */
export function makeRoutedPair(tag: string, n: number): RoutedPair {
  const base = makeNamed(tag, n);
  const node = `ng-${tag}-node`;
  const hostVeth = { a: `ng${n}ah`, b: `ng${n}bh` };
  const pair: RoutedPair = {
    ...base,
    node,
    hostVeth,
    cleanup: () => {
      base.cleanup();
      try {
        ip('netns', 'del', node);
      } catch {
        // already gone
      }
    },
  };
  pair.cleanup();
  const sysctl = (k: string) =>
    execFileSync('ip', ['netns', 'exec', node, 'sysctl', '-qw', `${k}=1`], { stdio: 'ignore' });
  try {
    ip('netns', 'add', node);
    ip('-n', node, 'link', 'set', 'lo', 'up');
    sysctl('net.ipv4.ip_forward');
    sysctl('net.ipv6.conf.all.forwarding');
    // A host answers the pods' ARP for 169.254.1.1 by proxy ARP, as it has a route
    // there (its default route); this namespace has none, so it holds the address.
    ip('-n', node, 'addr', 'add', '169.254.1.1/32', 'dev', 'lo');
    for (const side of ['a', 'b'] as const) {
      execFileSync(
        POD_NET,
        ['add', node, base[side], hostVeth[side], pair.v4[side], pair.v6[side]],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    }
    waitUp([
      [base.a, 'eth0'],
      [base.b, 'eth0'],
      [node, hostVeth.a],
      [node, hostVeth.b],
    ]);
  } catch (err) {
    pair.cleanup();
    throw err;
  }
  return pair;
}

export interface Peer {
  proc: ChildProcessWithoutNullStreams;
  /** The next line the peer prints; throws once it has exited (with its stderr). */
  line(): Promise<string>;
  send(cmd: string): void;
  /** Resolves with the exit code once the peer has exited and its output is read. */
  closed: Promise<number | null>;
  stderr(): string;
}

/** Starts `peer.mjs MODE ARGS` inside namespace `ns`. */
export function peer(ns: string, ...args: (string | number)[]): Peer {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, ...args.map(String)]);
  const lines: string[] = [];
  const waiting: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let done = false;
  const gone = () =>
    new Error(`peer ${args.join(' ')} in ${ns} exited ${proc.exitCode}: ${stderr}`);
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  createInterface({ input: proc.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else lines.push(l);
  });
  const closed = new Promise<number | null>((resolve) =>
    proc.once('close', (code) => {
      done = true;
      for (const w of waiting.splice(0)) w.reject(gone());
      resolve(code);
    }),
  );
  return {
    proc,
    line: () =>
      new Promise((resolve, reject) => {
        const l = lines.shift();
        if (l !== undefined) resolve(l);
        else if (done) reject(gone());
        else waiting.push({ resolve, reject });
      }),
    send: (cmd) => proc.stdin.write(`${cmd}\n`),
    closed,
    stderr: () => stderr,
  };
}

/** Runs a peer to completion and returns its last line; throws if it failed. */
export async function run(ns: string, ...args: (string | number)[]): Promise<string> {
  const p = peer(ns, ...args);
  const code = await p.closed;
  let last = '';
  for (;;) {
    try {
      last = await p.line();
    } catch {
      break;
    }
  }
  if (code !== 0) throw new Error(`peer ${args.join(' ')} in ${ns} exited ${code}: ${p.stderr()}`);
  return last;
}
