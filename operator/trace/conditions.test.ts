import { describe, expect, it } from 'vitest';
import type { TraceStatus } from '../../api/trace.js';
import { mergedStatus, traceConditions } from './conditions.js';

const T0 = '2026-12-07T08:00:00.000Z';
const T1 = '2026-12-07T08:05:00.000Z';
const of = (s: TraceStatus) =>
  Object.fromEntries(traceConditions(s, undefined, T0).map((c) => [c.type, c]));

describe('traceConditions', () => {
  it('is Ready while a node runs the trace, and not Degraded when every node does', () => {
    const c = of({ state: 'Started', nodes: { n1: { state: 'Started', pods: 2 } } });
    expect(c.Ready).toMatchObject({
      status: 'True',
      reason: 'Started',
      message: 'running on 1 of 1 node',
    });
    expect(c.Degraded).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  it('is Ready but Degraded with the nodes named when one has no agent or failed', () => {
    const c = of({
      state: 'Started',
      nodes: {
        n1: { state: 'Started' },
        n2: { state: 'AgentMissing', reason: 'no agent Lease' },
      },
    });
    expect(c.Ready).toMatchObject({ status: 'True', message: 'running on 1 of 2 nodes' });
    expect(c.Degraded).toMatchObject({
      status: 'True',
      reason: 'AgentMissing',
      message: 'n2: no agent Lease',
    });
    const failed = of({
      state: 'Started',
      nodes: { n1: { state: 'Failed', reason: 'answered 503' }, n2: { state: 'AgentMissing' } },
    });
    // A failure outranks a missing agent; no node runs it, so it is not Ready either.
    expect(failed.Degraded).toMatchObject({ reason: 'NodeFailed', message: 'n1: answered 503' });
    expect(failed.Ready).toMatchObject({
      status: 'False',
      reason: 'NoAgent',
      message: 'started, but no node runs it: n1 Failed, n2 AgentMissing',
    });
  });

  it('says why it is not Ready: never started, stopped, or an operation refused', () => {
    expect(of({}).Ready).toMatchObject({ status: 'False', reason: 'NotStarted' });
    expect(of({ state: 'Stopped', stoppedAt: T1 }).Ready).toMatchObject({
      status: 'False',
      reason: 'Stopped',
      message: `stopped at ${T1}`,
    });
    expect(of({ operationError: 'Unknown gadget "x"' }).Ready).toMatchObject({
      status: 'False',
      reason: 'OperationError',
      message: 'Unknown gadget "x"',
    });
    // A refused generate on a running trace: it still runs, degraded.
    const running = of({
      state: 'Started',
      nodes: { n1: { state: 'Started' } },
      operationError: 'Invalid parameter policyKind "x"',
    });
    expect(running.Ready?.status).toBe('True');
    expect(running.Degraded).toMatchObject({ status: 'True', reason: 'OperationError' });
  });

  it("turns a warning into Degraded's message", () => {
    expect(
      of({ state: 'Stopped', operationWarning: '12 edges left out of status.output' }).Degraded,
    ).toMatchObject({
      status: 'True',
      reason: 'Warning',
      message: '12 edges left out of status.output',
    });
  });

  it('keeps lastTransitionTime while the status stays, and moves it when it changes', () => {
    const first = traceConditions(
      { state: 'Started', nodes: { n1: { state: 'Started' } } },
      undefined,
      T0,
      3,
    );
    expect(first.every((c) => c.lastTransitionTime === T0 && c.observedGeneration === 3)).toBe(
      true,
    );
    const again = traceConditions(
      { state: 'Started', nodes: { n1: { state: 'Started', pods: 5 } } },
      first,
      T1,
      3,
    );
    expect(again.map((c) => c.lastTransitionTime)).toEqual([T0, T0]);
    const stopped = traceConditions(
      { state: 'Stopped', nodes: { n1: { state: 'Stopped' } } },
      again,
      T1,
    );
    expect(stopped.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: T1,
    });
    expect(stopped.find((c) => c.type === 'Degraded')?.lastTransitionTime).toBe(T0);
  });
});

describe('mergedStatus', () => {
  it('applies a merge patch as the API server would: null removes a field', () => {
    expect(
      mergedStatus(
        { state: 'Stopped', operationError: 'Not started', edges: 3 },
        { state: 'Started', operationError: null },
      ),
    ).toEqual({ state: 'Started', edges: 3 });
  });
});
