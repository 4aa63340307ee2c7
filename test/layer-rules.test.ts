// The layer rules of biome.json (README, "How the parts fit"): a file that imports
// across a layer fails `npm run lint`, and the error names the rule. Checked on a copy
// of the config in a folder of its own, so the tree is never touched.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const biome = join(root, 'node_modules/.bin/biome');
const dir = mkdtempSync(join(tmpdir(), 'netgraph-layers-'));
copyFileSync(join(root, 'biome.json'), join(dir, 'biome.json'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(file: string, from: string): Promise<{ code: number; out: string }> {
  mkdirSync(join(dir, dirname(file)), { recursive: true });
  writeFileSync(join(dir, file), `import { x } from '${from}';\nexport const y = x;\n`);
  return new Promise((resolve) => {
    execFile(biome, ['lint', '--vcs-enabled=false', file], { cwd: dir }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('layer rules', () => {
  it.each([
    ['gadget/agent/a.ts', '../../operator/main.js', 'gadget-not-operator'],
    ['gadget/dataplane/b.ts', '../agent/agent.js', 'dataplane-not-agent'],
    ['gadget/dataplane/c.ts', '../../operator/trace/controller.js', 'gadget-not-operator'],
    ['api/d.ts', '../gadget/agent/agent.js', 'shared-not-parts'],
    ['lib/e.ts', '../operator/main.js', 'shared-not-parts'],
    ['operator/trace/f.ts', '../metrics/endpoint.js', 'trace-core-alone'],
    ['operator/trace/g.ts', '../policy/advisor.js', 'trace-core-alone'],
  ])('%s importing %s fails with %s', async (file, from, rule) => {
    const { code, out } = await lint(file, from);
    expect(code).not.toBe(0);
    expect(out).toContain('noRestrictedImports');
    expect(out).toContain(`layer rule ${rule}`);
  });

  it.each([
    ['gadget/agent/h.ts', '../dataplane/tracer.js'],
    ['operator/metrics/i.ts', '../trace/edge-observer.js'],
    ['operator/trace/j.ts', '../../api/agent.js'],
  ])('%s importing %s passes', async (file, from) => {
    expect((await lint(file, from)).code).toBe(0);
  });
});
