// Brings the test bed (hack/testbed) up once for the e2e project and down afterwards.
//
// NETGRAPH_TESTBED_REUSE=1  use a test bed that is already up instead of starting a fresh one
// NETGRAPH_TESTBED_KEEP=1   leave the test bed up after the run (for a later REUSE=1 run)
// NETGRAPH_TESTBED_DIR      state dir (default /tmp/netgraph-testbed), passed on to hack/testbed
//
// Several test runs may share the machine's one test bed: each registers its pid in
// <dir>/users/, a run joins a test bed that has other live users rather than
// restarting it under them, and only the last user out tears it down.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the test bed (hack/testbed's <dir>/kubeconfig). */
    netgraphKubeconfig: string;
    /** The test bed's state dir. */
    netgraphTestbedDir: string;
  }
}

const script = fileURLToPath(new URL('../../hack/testbed', import.meta.url));
const dir = process.env.NETGRAPH_TESTBED_DIR ?? '/tmp/netgraph-testbed';
const usersDir = join(dir, 'users');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(script, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function mustRun(args: string[]): Promise<string> {
  const r = await run(args);
  // The script's progress lines go to stderr; show them, they say what is slow.
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.code !== 0) throw new Error(`hack/testbed ${args.join(' ')} failed (exit ${r.code})`);
  return r.stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function otherLiveUsers(): number[] {
  if (!existsSync(usersDir)) return [];
  return readdirSync(usersDir)
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid && alive(pid));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env.NETGRAPH_TESTBED_REUSE === '1';
  const up = (await run(['status'])).code === 0;
  const others = up ? otherLiveUsers() : [];
  let joined = false;
  if (up && (reuse || others.length > 0)) {
    joined = true;
    const why = reuse ? 'NETGRAPH_TESTBED_REUSE=1' : `in use by pid ${others.join(', ')}`;
    process.stderr.write(`[e2e] using the test bed that is already up (${why})\n`);
  } else {
    if (up) {
      process.stderr.write(
        '[e2e] restarting the test bed for a clean run (NETGRAPH_TESTBED_REUSE=1 keeps it)\n',
      );
      await mustRun(['down']);
    }
    await mustRun(['up']);
  }
  mkdirSync(usersDir, { recursive: true });
  writeFileSync(join(usersDir, String(process.pid)), '');

  const kubeconfig = join(dir, 'kubeconfig');
  process.env.KUBECONFIG = kubeconfig;
  process.env.NETGRAPH_TESTBED_DIR = dir;
  project.provide('netgraphKubeconfig', kubeconfig);
  project.provide('netgraphTestbedDir', dir);

  return async () => {
    rmSync(join(usersDir, String(process.pid)), { force: true });
    if (process.env.NETGRAPH_TESTBED_KEEP === '1') {
      process.stderr.write(`[e2e] keeping the test bed up: export KUBECONFIG=${kubeconfig}\n`);
      return;
    }
    if (otherLiveUsers().length > 0) return; // the last user tears it down
    if (joined && reuse) return; // it was up before this run and the user wants it kept
    await mustRun(['down']);
  };
}
