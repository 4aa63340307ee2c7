// 1,000 generated Traces against the real apiserver and one operator: valid and
// invalid specs, garbage written through the status subresource (which skips the
// spec's checks), and unusual but legal objects (10,000 filter labels, a 1 MiB
// parameters map, unicode). Every Trace the apiserver stores must end in a defined
// state (its operation handled: Started, Stopped or an operationError), the operator
// must never restart, and its memory must stay bounded.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_BY, OPERATION_ANNOTATION, type Trace } from '../../api/trace.js';
import { Kube, KubeError, loadKubeConfig } from '../../lib/kube.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { kubeconfigPath, kubectl, waitFor } from './testbed.js';

const NODE = 'hostile-node';
const NS = 'hostile-traces';
const COUNT = 1000;
const traces = `/apis/gadget.kinvolk.io/v1alpha1/namespaces/${NS}/traces`;

let net: Netgraph;
let operator: Proc;
let agent: Proc;
let kube: Kube;

const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

// What one generated case does: the Trace, then (optionally) a status written over
// the subresource, then the operation annotation.
interface Case {
  trace: Record<string, unknown>;
  status?: Record<string, unknown>;
  operation: string;
}

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', 'demo', 'demo,other', NODE, 'network-graph', 'Auto', 'Status', 'File'),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });
const validSpec = fc.record({
  node: fc.constantFrom('', NODE),
  gadget: fc.constant('network-graph'),
  filter: fc.record(
    {
      namespace: fc.constantFrom('', 'demo', 'a,b'),
      podname: fc.constantFrom('', 'web-0'),
      labels: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.constantFrom('x', 'y')),
    },
    { requiredKeys: [] },
  ),
  runMode: fc.constantFrom('Manual', 'Auto'),
  outputMode: fc.constantFrom('Stream', 'Status'),
  parameters: fc.record({ groupBy: fc.constantFrom(...GROUP_BY) }, { requiredKeys: [] }),
});
// Any shape in any field: the apiserver's schema refuses some, the operator the rest.
const wildSpec = fc.record(
  {
    node: fc.oneof(text, anyJson),
    gadget: fc.oneof(fc.constant('network-graph'), text, anyJson),
    filter: fc.oneof(fc.dictionary(text, fc.oneof(text, anyJson)), anyJson),
    runMode: fc.oneof(fc.constantFrom('Manual', 'Auto'), text),
    outputMode: fc.oneof(fc.constantFrom('Stream', 'Status', 'File', 'ExternalResource'), text),
    parameters: fc.dictionary(text, fc.oneof(text, anyJson)),
  },
  { requiredKeys: [] },
);
const wildStatus = fc.record(
  {
    state: fc.constantFrom('Started', 'Stopped', 'Completed'),
    operationError: text,
    edges: fc.integer(),
    startedAt: fc.constantFrom('2000-01-01T00:00:00Z', '2999-01-01T00:00:00Z'),
    nodes: fc.dictionary(
      text,
      fc.record({
        state: fc.constantFrom('Started', 'Stopped', 'Failed', 'AgentMissing'),
        pods: fc.integer(),
      }),
    ),
  },
  { requiredKeys: [] },
);
const name = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), // unicode: the apiserver refuses it
);
const generated = fc.record({
  name,
  spec: fc.oneof(validSpec, wildSpec),
  status: fc.option(wildStatus, { nil: undefined }),
  operation: fc.constantFrom('start', 'start', 'stop', 'generate', 'pause', ''),
});

function cases(): Case[] {
  const seen = new Set<string>();
  const out: Case[] = [];
  const big = (i: number, spec: Record<string, unknown>): Case => ({
    trace: obj(`big-${i}`, spec),
    operation: 'start',
  });
  const base = { gadget: 'network-graph', node: NODE, filter: { namespace: 'demo' } };
  // Legal but unusual: 10,000 labels to match, a 1 MiB parameters map, unicode values.
  out.push(
    big(0, {
      ...base,
      filter: {
        namespace: 'demo',
        labels: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 'v'])),
      },
    }),
    big(1, {
      ...base,
      parameters: Object.fromEntries(
        Array.from({ length: 1024 }, (_, i) => [`p${i}`, 'x'.repeat(1000)]),
      ),
    }),
    big(2, { ...base, filter: { namespace: 'démo', podname: 'ウェブ' } }),
    big(3, { ...base, parameters: { ips: '10.0.0.1,'.repeat(50_000) } }),
  );
  for (const g of fc.sample(generated, { numRuns: COUNT * 2, seed: 14 })) {
    if (out.length >= COUNT) break;
    if (seen.has(g.name)) continue;
    seen.add(g.name);
    out.push({
      trace: obj(g.name, g.spec as Record<string, unknown>),
      ...(g.status && { status: g.status }),
      operation: g.operation,
    });
  }
  return out;
}

function obj(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name, namespace: NS },
    spec,
  };
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * A Trace's defined state once the operator has handled it: its operation annotation
 * removed and no operation pending, and an operationError or a state; a Manual Trace without an operation
 * stays as it is. Undefined while it is not there yet.
 */
function outcome(t: Trace, c: Case): string | undefined {
  if (t.metadata.annotations?.[OPERATION_ANNOTATION] !== undefined) return undefined;
  if (t.status?.pendingOperation !== undefined) return undefined;
  if (t.status?.operationError) return 'operationError';
  if (t.status?.state) return t.status.state;
  if (c.operation === '' && (t.spec?.runMode as string) !== 'Auto') return 'no operation';
  return undefined;
}

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS, 'demo'], nodes: [NODE] });
  net = await startNetgraph({
    nodes: [NODE],
    agentEnv: { NETGRAPH_LOG_LEVEL: 'info' },
    operatorEnv: { NETGRAPH_LOG_LEVEL: 'info' },
    readyTimeoutMs: 30_000,
  });
  ({ operator } = net);
  [agent] = net.agents as [Proc];
  kube = new Kube(loadKubeConfig(kubeconfigPath()));
}, 120_000);

afterAll(async () => {
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
  await net?.stop();
});

describe('1,000 generated Traces', () => {
  it('each one the apiserver stores ends in a defined state; the operator never restarts; its memory stays bounded', async () => {
    const pid = operator.child.pid as number;
    const rssBefore = rssKiB(pid);
    const all = cases();
    expect(all.length).toBe(COUNT);
    const refused: Record<string, number> = {};
    const stored: Case[] = [];
    const t0 = Date.now();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssKiB(pid));
    }, 500);

    await pool(all, 8, async (c) => {
      const meta = c.trace.metadata as { name: string };
      try {
        await kube.request('POST', traces, c.trace);
      } catch (err) {
        // The apiserver's own checks (name, schema, size): a defined state, counted.
        const why = err instanceof KubeError ? `${err.status} ${err.reason}` : String(err);
        refused[why] = (refused[why] ?? 0) + 1;
        return;
      }
      stored.push(c);
      if (c.status) {
        await kube
          .mergePatch(`${traces}/${encodeURIComponent(meta.name)}/status`, { status: c.status })
          .catch(() => {}); // a status the schema refuses changes nothing
      }
      if (c.operation) {
        await kube.mergePatch(`${traces}/${encodeURIComponent(meta.name)}`, {
          metadata: { annotations: { [OPERATION_ANNOTATION]: c.operation } },
        });
      }
    });
    const appliedMs = Date.now() - t0;

    const outcomes = await waitFor(
      async () => {
        const list = await kube.list<Trace>(traces);
        const byName = new Map(list.items.map((t) => [t.metadata.name, t]));
        const counts: Record<string, number> = {};
        const pending: unknown[] = [];
        for (const c of stored) {
          const t = byName.get((c.trace.metadata as { name: string }).name);
          const o = t ? outcome(t, c) : 'gone';
          if (o === undefined) {
            pending.push({
              operation: c.operation,
              metadata: t?.metadata,
              spec: t?.spec,
              status: t?.status,
            });
          } else counts[o] = (counts[o] ?? 0) + 1;
        }
        if (pending.length === 0) return counts;
        // waitFor reports the last error when it times out: say which are left, and how.
        throw new Error(
          `${pending.length} not settled, e.g. ${JSON.stringify(pending.slice(0, 3)).slice(0, 3000)}`,
        );
      },
      { what: 'every stored Trace in a defined state', timeoutMs: 180_000, intervalMs: 2_000 },
    );
    clearInterval(sampler);
    const settledMs = Date.now() - t0;
    const rssAfter = rssKiB(pid);

    process.stderr.write(
      `[hostile-traces] ${all.length} tried: ${stored.length} stored, refused by the apiserver ${JSON.stringify(refused)}; ` +
        `outcomes ${JSON.stringify(outcomes)}; applied in ${appliedMs} ms, all settled in ${settledMs} ms; ` +
        `operator RSS ${Math.round(rssBefore / 1024)} -> peak ${Math.round(rssPeak / 1024)} -> ${Math.round(rssAfter / 1024)} MB\n`,
    );
    expect(operator.running).toBe(true);
    expect(operator.lines.filter((l) => l.msg === 'operator started').length).toBe(1);
    expect(agent.running).toBe(true);
    expect(stored.length).toBeGreaterThan(COUNT / 4);
    expect(rssPeak / 1024).toBeLessThan(512);
    // The big legal ones were stored and started.
    for (const n of ['big-0', 'big-2']) {
      const t = await kube.get<Trace>(`${traces}/${n}`);
      expect([t.status?.state, t.status?.operationError]).not.toEqual([undefined, undefined]);
    }
  }, 600_000);

  it('deleting them all goes through the finalizer for each', async () => {
    await kubectl(['delete', 'traces', '--all', '-n', NS, '--wait=false']);
    await waitFor(async () => (await kube.list<Trace>(traces)).items.length === 0, {
      what: 'every Trace gone',
      timeoutMs: 180_000,
      intervalMs: 2_000,
    });
    expect(operator.running).toBe(true);
  }, 240_000);
});
