// Run after every e2e test file (vitest setupFiles): no line the operator or an agent
// wrote, stdout or stderr, carries token material. The tests hand them real
// ServiceAccount tokens (kubeconfigs, the agent token file) and send bearer tokens
// to the agents, so a log of a header or a kubeconfig would show up here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { procs } from './netgraph.js';

// A JWT: base64url header and payload, both JSON objects ("eyJ" is '{"').
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}/;

afterAll(() => {
  // NETGRAPH_E2E_LOGS=DIR keeps every process's output there, to read after a failure.
  const dir = process.env.NETGRAPH_E2E_LOGS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const file = basename(expect.getState().testPath ?? 'e2e', '.test.ts');
    procs.forEach((p, i) => {
      const text = [...p.lines.map((l) => JSON.stringify(l)), ...p.stderr].join('\n');
      writeFileSync(join(dir, `${file}-${i}-${p.name.replace(/\W+/g, '-')}.log`), `${text}\n`);
    });
  }
  const leaks = procs.flatMap((p) =>
    [...p.lines.map((l) => JSON.stringify(l)), ...p.stderr]
      .filter((line) => JWT.test(line))
      .map((line) => `${p.name}: ${line.slice(0, 300)}`),
  );
  const checked = procs.reduce((n, p) => n + p.lines.length + p.stderr.length, 0);
  expect(leaks, `token material in ${leaks.length} of ${checked} log lines`).toEqual([]);
});
