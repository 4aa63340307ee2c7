import { afterEach, describe, expect, it } from 'vitest';
import {
  FINALIZER,
  OPERATION_ANNOTATION,
  TRACES_PATH,
  type Trace,
  type TraceSpec,
  traceObjectPath,
} from '../../api/trace.js';
import { KubeError } from '../../lib/kube.js';
import {
  addAgent,
  edge,
  type FakeSession,
  KEY,
  NODES,
  node,
  replica,
  trace,
  until,
} from '../../test/fake-agents.js';
import { FakeKube } from '../../test/fake-kube.js';
import type { ControllerOptions } from './controller.js';

// The controller's reconcile paths against an apiserver in memory (FakeKube) and
// scripted agent sessions: what a user sees in the Trace's status and the log.

function setup(more: Partial<ControllerOptions> = {}) {
  const kube = new FakeKube();
  kube.put(NODES, node('n1'));
  kube.put(NODES, node('n2'));
  addAgent(kube, 'n1');
  return { ...replica(kube, more), addAgent: (n: string, e?: string) => addAgent(kube, n, e) };
}

describe('Controller', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  async function started(spec: TraceSpec = {}, more: Partial<ControllerOptions> = {}) {
    const t = setup(more);
    stop = t.stop;
    await t.start();
    t.kube.put(TRACES_PATH, trace(spec, 'start'));
    // Started, then its nodes' entries and the summary that follows them.
    await until(() => {
      const s = t.get()?.status;
      return s?.state === 'Started' && s.nodes !== undefined && s.edges !== undefined;
    });
    return t;
  }

  it('adds its finalizer, starts on the nodes with a live agent, and says which have none', async () => {
    const { get, live, sessions, addAgent } = await started({ filter: { namespace: 'demo' } });
    const t = get() as Trace;
    expect(t.metadata.finalizers).toEqual([FINALIZER]);
    expect(t.metadata.annotations?.[OPERATION_ANNOTATION]).toBeUndefined(); // handled, removed
    expect(t.status?.startedAt).toBeDefined();
    expect(live('n1')).toHaveLength(1);
    expect(sessions[0]?.filter).toEqual({ namespace: 'demo' });
    expect(t.status?.nodes?.n2?.state).toBe('AgentMissing');
    expect(t.status?.operationWarning).toContain('node n2');

    // Written with every status: Ready (it runs on n1), Degraded (n2 has no agent).
    const cond = (type: string) => get()?.status?.conditions?.find((c) => c.type === type);
    expect(cond('Ready')).toMatchObject({ status: 'True', reason: 'Started' });
    expect(cond('Degraded')).toMatchObject({ status: 'True', reason: 'AgentMissing' });

    // The agent comes up: the trace goes there too, and the warning goes.
    addAgent('n2');
    await until(() => get()?.status?.nodes?.n2?.state === 'Started');
    expect(live('n2')).toHaveLength(1);
    await until(() => get()?.status?.operationWarning === undefined);
    await until(() => cond('Degraded')?.status === 'False');
    expect(cond('Ready')?.message).toBe('running on 2 of 2 nodes');
  });

  it('refuses an agent Lease whose endpoint is not on its node, with a warning', async () => {
    const { get, live, addAgent } = await started();
    addAgent('n2', 'https://attacker.example:9478');
    await until(() => (get()?.status?.nodes?.n2?.reason ?? '').includes('refused'));
    expect(get()?.status?.nodes?.n2).toEqual({
      state: 'AgentMissing',
      reason:
        "the agent Lease of node n2 names endpoint host attacker.example, not one of the node's addresses: refused",
    });
    expect(get()?.status?.operationWarning).toContain('attacker.example');
    expect(live('n2')).toHaveLength(0);
  });

  it('logs each new edge once and counts it in status', async () => {
    const { get, live, lines } = await started();
    const s = live('n1')[0] as FakeSession;
    s.events.onEdge('n1', edge(80), 'e1');
    s.events.onEdge('n1', edge(443), 'e1');
    s.events.onEdge('n1', { ...edge(80), connections: 5 }, 'e1'); // grown counters, same edge
    await until(() => get()?.status?.edges === 2);
    expect(lines.filter((l) => l.msg === 'edge').map((l) => l.port)).toEqual([80, 443]);
  });

  it('shows a refusing agent as Failed, and detaches a node that goes away', async () => {
    const t = setup();
    stop = t.stop;
    t.addAgent('n2');
    t.refuse.add('n2');
    await t.start();
    t.kube.put(TRACES_PATH, trace({}, 'start'));
    await until(() => t.get()?.status?.nodes?.n2?.state === 'Failed');
    expect(t.get()?.status?.nodes?.n2?.reason).toContain('answered 503');

    t.kube.delete(NODES, '/n1');
    await until(() => t.get()?.status?.nodes?.n1?.state === 'Stopped');
    expect(t.get()?.status?.nodes?.n1?.reason).toBe('node is gone or not Ready');
    expect(t.live('n1')).toHaveLength(0);
  });

  it('refuses a node that does not exist and a bad spec, in operationError', async () => {
    const t = setup();
    stop = t.stop;
    await t.start();
    t.kube.put(TRACES_PATH, trace({ node: 'nope' }, 'start'));
    await until(() => t.get()?.status?.operationError !== undefined);
    expect(t.get()?.status?.operationError).toBe('Node "nope" not found');
    t.kube.put(TRACES_PATH, trace({ gadget: 'x' }, 'start', 'bad'));
    await until(() => t.get('gadget/bad')?.status?.operationError !== undefined);
    expect(t.get('gadget/bad')?.status?.operationError).toBe('Unknown gadget "x"');
    expect(t.sessions).toHaveLength(0);
  });

  it('stops on every agent, and says Not started to a stop without a start', async () => {
    const t = await started();
    const s = t.live('n1')[0] as FakeSession;
    const running = t.get() as Trace;
    running.metadata.annotations = { [OPERATION_ANNOTATION]: 'stop' };
    t.kube.put(TRACES_PATH, running);
    await until(() => t.get()?.status?.state === 'Stopped');
    expect(s.state).toBe('stopped');
    expect(t.get()?.status?.stoppedAt).toBeDefined();
    expect(t.get()?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Stopped',
    });

    t.kube.put(TRACES_PATH, trace({}, 'stop', 'never'));
    await until(() => t.get('gadget/never')?.status?.operationError !== undefined);
    expect(t.get('gadget/never')?.status?.operationError).toBe('Not started');
  });

  it("waits for another replica's nodes to stop, then marks the stop done without one gone", async () => {
    const t = await started({}, { stopWaitMs: 500 });
    // A node another replica followed, which died before the stop: its entry says Started.
    const running = t.get() as Trace;
    running.status = {
      ...running.status,
      nodes: { ...running.status?.nodes, n9: { state: 'Started', pods: 1 } },
    };
    running.metadata.annotations = { [OPERATION_ANNOTATION]: 'stop' };
    t.kube.put(TRACES_PATH, running);
    await until(() => t.get()?.status?.state === 'Stopped');
    const stoppedAt = Date.now();
    expect(t.get()?.status?.pendingOperation?.operation).toBe('stop');
    await until(() => t.get()?.status?.pendingOperation === undefined, 5000);
    // Marked done by the 2 s tick once the wait was over, not before.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(300);
    expect(t.get()?.status?.nodes?.n1?.state).toBe('Stopped');
  });

  it('finishes an operation a killed leader carried out but did not mark done, once', async () => {
    const t = setup();
    stop = t.stop;
    const at = '2026-01-01T00:00:00Z';
    // Killed after writing Started, before removing the annotation: a start again would
    // start the trace afresh and lose what it saw since `at`.
    for (const [name, op, status] of [
      ['started', 'start', { state: 'Started', startedAt: at }],
      ['stopped', 'stop', { state: 'Stopped', stoppedAt: at }],
    ] as const) {
      const before = trace({}, op, name);
      before.metadata.finalizers = [FINALIZER];
      t.kube.put(TRACES_PATH, before);
      await t.kube.mergePatch(`${traceObjectPath('gadget', name)}/status`, {
        status: { ...status, pendingOperation: { operation: op, at } },
      });
    }
    await t.start();
    for (const name of ['started', 'stopped'])
      await until(() => {
        const tr = t.get(`gadget/${name}`);
        return !tr?.metadata.annotations?.[OPERATION_ANNOTATION] && !tr?.status?.pendingOperation;
      });
    expect(t.get('gadget/started')?.status).toMatchObject({ state: 'Started', startedAt: at });
    expect(t.live('n1')).toHaveLength(1); // resumed, not started afresh
    expect(t.get('gadget/stopped')?.status).toMatchObject({ state: 'Stopped', stoppedAt: at });
    expect(t.get('gadget/stopped')?.status?.operationError).toBeUndefined(); // not "Not started"
  });

  it('carries out an operation taken before a restart but not carried out', async () => {
    const t = setup();
    stop = t.stop;
    const before = trace({});
    before.metadata.finalizers = [FINALIZER];
    t.kube.put(TRACES_PATH, before);
    // Killed after taking the annotation, before writing Started.
    const at = '2026-01-01T00:00:00Z';
    await t.kube.mergePatch(`${traceObjectPath('gadget', 't')}/status`, {
      status: { pendingOperation: { operation: 'start', at } },
    });
    await t.start();
    await until(() => t.get()?.status?.state === 'Started' && !t.get()?.status?.pendingOperation);
    expect(t.get()?.status?.startedAt).toBe(at);
    expect(t.live('n1')).toHaveLength(1);
  });

  it('resumes a trace that says Started when this operator does not run it (a restart)', async () => {
    const t = setup();
    stop = t.stop;
    const before = trace({});
    before.metadata.finalizers = [FINALIZER];
    t.kube.put(TRACES_PATH, before);
    await t.kube.mergePatch(`${traceObjectPath('gadget', 't')}/status`, {
      status: { state: 'Started', startedAt: '2026-01-01T00:00:00Z' },
    });
    await t.start();
    await until(() => t.live('n1').length === 1);
    await until(() => t.get()?.status?.nodes?.n1?.state === 'Started');
    expect(t.get()?.status?.startedAt).toBe('2026-01-01T00:00:00Z'); // the same run, resumed
  });

  it('stops everywhere before the Trace is deleted, then lets it go', async () => {
    const t = await started();
    const s = t.live('n1')[0] as FakeSession;
    t.kube.delete(TRACES_PATH, KEY); // the finalizer holds it
    await until(() => t.get() === undefined);
    expect(s.state).toBe('stopped');
  });

  it('retries a failed reconcile with a growing backoff until it succeeds', async () => {
    const t = setup();
    stop = t.stop;
    await t.start();
    let failures = 0;
    t.kube.fail = (call) => {
      if (!call.endsWith('/status') || failures >= 3) return undefined;
      failures++;
      return new KubeError(503, 'ServiceUnavailable', 'etcd leader changed');
    };
    t.kube.put(TRACES_PATH, trace({}, 'start'));
    await until(() => t.get()?.status?.state === 'Started', 10_000);
    // Each retry waits longer (200 ms, then 400 ms, less up to a fifth of jitter).
    const retried = t.lines.filter((l) => l.msg === 'reconcile failed, retrying');
    expect(retried.length).toBeGreaterThanOrEqual(2);
    expect(retried.map((l) => l.failures).slice(0, 2)).toEqual([1, 2]);
    expect(retried[1]?.retryMs as number).toBeGreaterThan(retried[0]?.retryMs as number);
    expect(retried[0]).toMatchObject({
      trace: KEY,
      err: { message: expect.stringContaining('etcd leader changed') },
    });
  });

  it('does not retry a status the API refuses as invalid', async () => {
    const t = setup();
    stop = t.stop;
    await t.start();
    t.kube.fail = (call) =>
      call.endsWith('/status')
        ? new KubeError(422, 'Invalid', 'status.x: Invalid value')
        : undefined;
    t.kube.put(TRACES_PATH, trace({ gadget: 'x' }, 'start'));
    await until(() => t.lines.some((l) => l.msg === 'reconcile failed, not retried'));
    await new Promise((r) => setTimeout(r, 700));
    expect(t.lines.filter((l) => l.msg === 'reconcile failed, retrying')).toEqual([]);
    expect(t.kube.calls.filter((c) => c.endsWith('/status'))).toHaveLength(1);
  });
});
