import { describe, expect, it } from 'vitest';
import {
  FINALIZER,
  OPERATION_ANNOTATION,
  type Trace,
  type TraceSpec,
  type TraceStatus,
} from '../../api/trace.js';
import { decide } from './decide.js';

const seedSpec: TraceSpec = {
  node: 'albantyphoon-worker000003',
  gadget: 'network-graph',
  filter: { namespace: 'demo' },
  runMode: 'Manual',
  outputMode: 'Stream',
};

function trace(opts: {
  op?: string;
  spec?: TraceSpec;
  status?: TraceStatus;
  finalizer?: boolean;
  deleting?: boolean;
}): Trace {
  return {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: {
      name: 'network-graph',
      namespace: 'gadget',
      annotations: opts.op === undefined ? {} : { [OPERATION_ANNOTATION]: opts.op },
      finalizers: opts.finalizer === false ? [] : [FINALIZER],
      ...(opts.deleting ? { deletionTimestamp: '2026-11-23T10:00:00Z' } : {}),
    },
    spec: opts.spec ?? seedSpec,
    status: opts.status,
  };
}

const trusted = new Set(['gadget', 'netgraph']);
const idle = { running: false, trusted };

describe('decide', () => {
  it('adds the finalizer first, and finalizes on deletion', () => {
    expect(decide(trace({ op: 'start', finalizer: false }), idle).decision.kind).toBe(
      'addFinalizer',
    );
    expect(decide(trace({ deleting: true }), { running: true, trusted }).decision.kind).toBe(
      'finalize',
    );
  });

  it('starts the seed trace on start, and hands back the annotation to remove', () => {
    const d = decide(trace({ op: 'start' }), idle);
    expect(d.operation).toBe('start');
    expect(d.decision).toMatchObject({
      kind: 'start',
      spec: { node: 'albantyphoon-worker000003' },
      parameters: { groupBy: 'pod' },
    });
  });

  it('stops a started trace; stop when not started is an error', () => {
    expect(
      decide(trace({ op: 'stop', status: { state: 'Started' } }), { running: true, trusted })
        .decision.kind,
    ).toBe('stop');
    expect(decide(trace({ op: 'stop' }), idle).decision).toEqual({
      kind: 'error',
      error: 'Not started',
    });
    expect(decide(trace({ op: 'stop', status: { state: 'Stopped' } }), idle).decision).toEqual({
      kind: 'error',
      error: 'Not started',
    });
  });

  it('finishes a pending start or stop that was carried out, and carries out one that was not', () => {
    const at = '2026-11-23T10:00:00Z';
    const pending = (operation: string) => ({ operation, at });
    const done = { decision: { kind: 'done' } };
    expect(
      decide(
        trace({ status: { state: 'Started', startedAt: at, pendingOperation: pending('start') } }),
        { running: true, trusted },
      ),
    ).toEqual({ ...done, operation: 'start' });
    expect(
      decide(
        trace({ status: { state: 'Stopped', stoppedAt: at, pendingOperation: pending('stop') } }),
        idle,
      ),
    ).toEqual({ ...done, operation: 'stop' });
    // Started by an earlier start: this one is still to be carried out.
    const earlier = { state: 'Started', startedAt: '2026-11-23T09:00:00Z' } as const;
    expect(
      decide(trace({ status: { ...earlier, pendingOperation: pending('start') } }), idle).decision
        .kind,
    ).toBe('start');
    expect(
      decide(trace({ status: { ...earlier, pendingOperation: pending('stop') } }), idle).decision
        .kind,
    ).toBe('stop');
  });

  it('generates on a running or stopped trace; never started is an error', () => {
    for (const status of [{ state: 'Started' }, { state: 'Stopped' }] as const)
      expect(decide(trace({ op: 'generate', status }), idle)).toEqual({
        operation: 'generate',
        decision: { kind: 'generate' },
      });
    expect(decide(trace({ op: 'generate' }), idle).decision).toEqual({
      kind: 'error',
      error: 'Not started',
    });
  });

  it('refuses unknown operations with Inspektor Gadget message', () => {
    const d = decide(trace({ op: 'pause' }), idle);
    expect(d).toEqual({
      operation: 'pause',
      decision: {
        kind: 'error',
        error: 'Unsupported operation "pause" for gadget "network-graph"',
      },
    });
  });

  it('reports an invalid spec on start, and once without an operation', () => {
    const spec = { ...seedSpec, gadget: 'foo' };
    expect(decide(trace({ op: 'start', spec }), idle).decision).toEqual({
      kind: 'error',
      error: 'Unknown gadget "foo"',
    });
    expect(decide(trace({ spec }), idle).decision).toEqual({
      kind: 'error',
      error: 'Unknown gadget "foo"',
    });
    expect(
      decide(trace({ spec, status: { operationError: 'Unknown gadget "foo"' } }), idle).decision
        .kind,
    ).toBe('none');
  });

  it('starts an Auto trace once, when created', () => {
    const spec = { ...seedSpec, runMode: 'Auto' as const };
    expect(decide(trace({ spec }), idle).decision.kind).toBe('start');
    expect(decide(trace({ spec, status: { state: 'Stopped' } }), idle).decision.kind).toBe('none');
    expect(decide(trace({ spec }), { running: true, trusted }).decision.kind).toBe('none');
  });

  it('resumes a trace Started by an earlier operator process', () => {
    expect(decide(trace({ status: { state: 'Started' } }), idle).decision.kind).toBe('resume');
    expect(
      decide(trace({ status: { state: 'Started' } }), { running: true, trusted }).decision.kind,
    ).toBe('none');
  });

  it('does nothing for a Manual trace without an operation', () => {
    expect(decide(trace({}), idle)).toEqual({ decision: { kind: 'none' } });
  });

  it('keeps a Trace outside a trusted namespace to its own namespace', () => {
    const elsewhere = (filter: TraceSpec['filter']) => {
      const t = trace({ op: 'start', spec: { ...seedSpec, filter } });
      t.metadata.namespace = 'team-a';
      return decide(t, idle).decision;
    };
    expect(elsewhere({ namespace: 'demo' })).toEqual({
      kind: 'error',
      error:
        'filter.namespace "demo" is outside this Trace\'s namespace "team-a": only Traces in a trusted namespace (gadget, netgraph) may trace other namespaces',
    });
    expect(elsewhere({ namespace: 'team-a,kube-system' })).toMatchObject({
      kind: 'error',
      error: expect.stringContaining('"kube-system"'),
    });
    // Empty means its own namespace; naming it is fine.
    for (const filter of [{}, { namespace: '' }, { namespace: 'team-a' }, undefined])
      expect(elsewhere(filter)).toMatchObject({
        kind: 'start',
        spec: { filter: { namespace: 'team-a' } },
      });
    // In a trusted namespace an empty filter still means every namespace.
    const seed = trace({ op: 'start', spec: { ...seedSpec, filter: {} } });
    expect(decide(seed, idle).decision).toMatchObject({ kind: 'start', spec: { filter: {} } });
  });
});
