// A benchmark's memory as a container's memory limit counts it: user memory and kernel
// memory (BPF maps included: kernels >= 5.11 charge them to the creating process's
// memory cgroup instead of RLIMIT_MEMLOCK) charged to a memory cgroup of its own. The
// process runs itself again inside a new cgroup (a shell puts itself there, then execs
// node, so nothing is charged elsewhere first) and the cgroup goes when it exits.
// cgroup v1 (memory.usage_in_bytes, which counts kernel memory too) or v2
// (memory.current); root only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const ENV = 'NETGRAPH_BENCH_MEMORY_CGROUP';

export interface MemoryCgroup {
  path: string;
  /** Bytes charged to the cgroup now. */
  chargedBytes(): number;
  /** The part of it that is kernel memory (slab, vmalloc, per-CPU: BPF maps among them). */
  kernelBytes(): number;
}

function ownMemoryCgroup(): { dir: string; v2: boolean } {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = lines.map((l) => l.split(':')).find(([, ctl]) => ctl?.split(',').includes('memory'));
  if (v1 && existsSync('/sys/fs/cgroup/memory'))
    return { dir: join('/sys/fs/cgroup/memory', v1[2] ?? '/'), v2: false };
  const unified = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
  if (existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return { dir: join('/sys/fs/cgroup', unified), v2: true };
  throw new Error('no memory cgroup controller (v1 or v2) at /sys/fs/cgroup');
}

function reader(path: string, v2: boolean): MemoryCgroup {
  const num = (f: string) => Number(readFileSync(join(path, f), 'utf8').trim());
  const stat = (key: string) =>
    Number(
      new RegExp(`^${key} (\\d+)$`, 'm').exec(
        readFileSync(join(path, 'memory.stat'), 'utf8'),
      )?.[1] ?? 0,
    );
  return v2
    ? { path, chargedBytes: () => num('memory.current'), kernelBytes: () => stat('kernel') }
    : {
        path,
        chargedBytes: () => num('memory.usage_in_bytes'),
        kernelBytes: () => num('memory.kmem.usage_in_bytes'),
      };
}

/**
 * In the child (already inside its cgroup): the cgroup's reader. In the first process:
 * makes the cgroup `name` beside this process's own, runs this script again inside it
 * with the same arguments, removes the cgroup and exits with the child's status.
 */
export function inMemoryCgroup(name: string): MemoryCgroup {
  const own = ownMemoryCgroup();
  const inside = process.env[ENV];
  if (inside) return reader(inside, own.v2);
  const path = join(own.dir, name);
  mkdirSync(path, { recursive: true });
  const r = spawnSync(
    'sh',
    [
      '-c',
      'echo $$ > "$0/cgroup.procs" && exec "$@"',
      path,
      process.execPath,
      ...process.execArgv,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit', env: { ...process.env, [ENV]: path } },
  );
  rmdirSync(path);
  process.exit(r.status ?? 1);
}
