// A benchmark run on an earlier commit and on this tree, one after the other in one
// run: the earlier commit is checked out in a git worktree of its own (sharing this
// tree's node_modules), its own copy of the script runs there with the same
// arguments, and each run's bench/results/<name>.json is read back. The worktree is
// removed at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Tree {
  label: string;
  dir: string;
}

/** Runs `fn` with the tree of `rev` (label `before`) and this one (`after`), then removes the worktree. */
export async function withTrees<T>(rev: string, fn: (trees: Tree[]) => Promise<T>): Promise<T> {
  const dir = `/tmp/netgraph-bench-before-${process.pid}`;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, stdio: 'ignore' });
  git('worktree', 'add', '--detach', dir, rev);
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    return await fn([
      { label: `before (${rev})`, dir },
      { label: 'after', dir: ROOT },
    ]);
  } finally {
    git('worktree', 'remove', '--force', dir);
  }
}

/**
 * Runs the tree's `script` (a path from the repository root) with `args`, as this
 * process was run (its node flags), and returns what it wrote to bench/results/<name>.json.
 */
export function runIn(
  tree: Tree,
  script: string,
  args: string[],
  name: string,
): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...args], {
    cwd: tree.dir,
    stdio: 'inherit',
  });
  if (r.status !== 0)
    throw new Error(`${script} ${args.join(' ')} in ${tree.label} exited ${r.status}`);
  return JSON.parse(readFileSync(join(tree.dir, 'bench', 'results', `${name}.json`), 'utf8'));
}
