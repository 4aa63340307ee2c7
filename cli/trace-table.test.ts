import { describe, expect, it } from 'vitest';
import type { Trace } from '../api/trace.js';
import { traceTable } from './trace-table.js';

const now = Date.parse('2026-12-07T08:00:00Z');
const trace = (name: string, namespace: string, status: Trace['status']): Trace => ({
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: { name, namespace, creationTimestamp: '2026-12-07T07:55:00Z' },
  status,
});

describe("get's table", () => {
  it('has a line for each node of each trace, and the refused operation below', () => {
    const text = traceTable(
      [
        trace('web', 'team-b', {}),
        trace('network-graph', 'gadget', {
          state: 'Started',
          edges: 12,
          nodes: {
            worker1: { state: 'Failed', pods: 0, reason: 'no network namespace holds 10.0.0.9' },
            worker0: { state: 'Started', pods: 2 },
          },
        }),
        trace('bad', 'gadget', { operationError: 'Node "nope" not found' }),
      ],
      true,
      now,
    );
    expect(text.split('\n')).toEqual([
      'NAMESPACE   NAME            STATE     EDGES   AGE   NODE      NODE STATE   PODS   REASON',
      'gadget      bad             -         0       5m    -         -            -',
      'gadget      network-graph   Started   12      5m    worker0   Started      2',
      'gadget      network-graph   Started   12      5m    worker1   Failed       0      no network namespace holds 10.0.0.9',
      'team-b      web             -         0       5m    -         -            -',
      'gadget/bad: Node "nope" not found',
    ]);
  });

  it('leaves the namespace out within one namespace', () => {
    expect(traceTable([trace('x', 'gadget', { state: 'Stopped' })], false, now)).toBe(
      [
        'NAME   STATE     EDGES   AGE   NODE   NODE STATE   PODS   REASON',
        'x      Stopped   0       5m    -      -            -',
      ].join('\n'),
    );
  });
});
