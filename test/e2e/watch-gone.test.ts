// A real 410 Gone: the apiserver restarts while etcd moves on and is compacted, so
// the operator's Trace watch, resumed from the resourceVersion it had, is refused
// as too old; the operator lists again, and a Trace only a list shows is not missed.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER, OPERATION_ANNOTATION, TRACES_PATH } from '../../api/trace.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { kubectl, testbedDir, uniqueName, waitFor } from './testbed.js';
import { waitTrace } from './traces.js';

const ETCD = 'http://127.0.0.1:12379'; // hack/testbed's etcd client port
const NS = uniqueName('gone');
let net: Netgraph;
let operator: Proc;

/** etcd's JSON gateway (etcdctl is not built here): keys and values are base64. */
async function etcd(path: string, body: object): Promise<{ header: { revision: string } }> {
  const res = await fetch(`${ETCD}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { header: { revision: string } };
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * Stops the test bed's kube-apiserver, runs `meanwhile`, and starts it again with the
 * same command line, environment and log, as hack/testbed's start_daemon does.
 */
async function restartApiserver(meanwhile: () => Promise<void>): Promise<void> {
  const pidFile = join(testbedDir(), 'pids/kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  expect(argv.join(' ')).toContain(testbedDir()); // ours, not a recycled pid
  // Gone, or a zombie its adoptive parent has not reaped yet.
  const exited = () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
    } catch {
      return true;
    }
  };
  const gone = { what: 'kube-apiserver to exit', timeoutMs: 5000, intervalMs: 100 };
  // As hack/testbed stops it: TERM, and KILL after 5 s (a graceful shutdown can take longer).
  process.kill(pid, 'SIGTERM');
  await waitFor(exited, gone).catch(() => process.kill(pid, 'SIGKILL'));
  try {
    await waitFor(exited, gone);
    await meanwhile();
  } finally {
    startApiserver(argv, env, pidFile);
  }
  await waitFor(async () => (await kubectl(['get', '--raw', '/readyz'])).trim() === 'ok', {
    what: 'kube-apiserver ready again',
    timeoutMs: 90_000,
    intervalMs: 500,
  });
  // Ready is not enough: until its Trace watch cache is filled, the apiserver refuses
  // watches with 429, and the operator, refused, would list afresh without ever
  // meeting the 410 this test is about.
  await waitFor(
    () =>
      kubectl(['get', '--raw', `${TRACES_PATH}?watch=1&timeoutSeconds=1`]).then(
        () => true,
        () => false,
      ),
    { what: 'the Trace watch served again', timeoutMs: 60_000, intervalMs: 500 },
  );
}

function startApiserver(argv: string[], env: Record<string, string>, pidFile: string): void {
  const log = openSync(join(testbedDir(), 'logs/kube-apiserver.log'), 'a');
  const child = spawn(argv[0] as string, argv.slice(1), {
    env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
}

const applyTrace = (name: string) =>
  kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { namespace: NS, name, annotations: { [OPERATION_ANNOTATION]: 'start' } },
      spec: { gadget: 'network-graph', filter: { namespace: NS } },
    }),
  });

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS] });
  net = await startNetgraph({ readyTimeoutMs: 60_000 });
  ({ operator } = net);
});

afterAll(async () => {
  // The operator releases its finalizers before it goes (awake, should the test have failed midway).
  operator?.child.kill('SIGCONT');
  await kubectl(['delete', 'traces', '--all', '-n', NS, '--timeout=30s']).catch(() => {});
  await net?.stop();
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe('a watch whose resourceVersion is gone', () => {
  it('relists after the 410 and misses no Trace', async () => {
    await applyTrace('before');
    await waitTrace(NS, 'before', (t) => t.status?.state === 'Started');
    const mark = operator.lines.length;

    // The operator sleeps through the restart, so its Trace watch resumes only once the
    // new apiserver is ready (not against one still starting, which refuses otherwise).
    operator.child.kill('SIGSTOP');
    await restartApiserver(async () => {
      // While it is down, a Trace is written straight into etcd (a CR is stored as JSON
      // under /registry/<group>/<plural>/<namespace>/<name>), and etcd is compacted past
      // it: no watch will ever carry it, and the operator's watch resumes from a version
      // that neither the new apiserver nor etcd can replay from. Only a list shows it.
      const during = {
        apiVersion: 'gadget.kinvolk.io/v1alpha1',
        kind: 'Trace',
        metadata: {
          namespace: NS,
          name: 'during',
          uid: randomUUID(),
          generation: 1,
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          annotations: { [OPERATION_ANNOTATION]: 'start' },
        },
        spec: { gadget: 'network-graph', filter: { namespace: NS } },
      };
      const key = b64(`/registry/gadget.kinvolk.io/traces/${NS}/during`);
      const { header } = await etcd('/v3/kv/put', { key, value: b64(JSON.stringify(during)) });
      await etcd('/v3/kv/compaction', { revision: header.revision, physical: true });
    });

    operator.child.kill('SIGCONT');
    const gone = await operator
      .waitLine(
        (l) => l.msg === 'resourceVersion expired, relisting' && l.watch === TRACES_PATH,
        60_000,
        mark,
      )
      .catch((err) => {
        const watch = operator.lines.slice(mark).filter((l) => l.watch === TRACES_PATH);
        throw new Error(`${err.message}; the Trace watch logged: ${JSON.stringify(watch)}`);
      });
    expect(gone.path).toBe(TRACES_PATH);
    const during = await waitTrace(NS, 'during', (t) => t.status?.state === 'Started');
    expect(during.metadata.finalizers).toContain(FINALIZER);
    // The trace from before the restart still runs in this operator: stop reaches it.
    await kubectl([
      'annotate',
      '--overwrite',
      '-n',
      NS,
      'trace/before',
      `${OPERATION_ANNOTATION}=stop`,
    ]);
    await waitTrace(NS, 'before', (t) => t.status?.state === 'Stopped');
  });
});
