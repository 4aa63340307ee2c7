import { describe, expect, it } from 'vitest';
import type { Trace } from '../api/trace.js';
import { handled, outcome } from './operation-outcome.js';

const trace = (status: Trace['status'], annotations?: Record<string, string>): Trace => ({
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: { name: 'network-graph', namespace: 'gadget', annotations },
  status,
});

describe('the outcome of start, stop and generate', () => {
  it('is pending while the annotation holds the operation', () => {
    expect(handled(trace({}, { 'gadget.kinvolk.io/operation': 'start' }), 'start')).toBe(false);
    expect(handled(trace({}), 'start')).toBe(true);
    // Someone asked for another operation meanwhile: ours was handled.
    expect(handled(trace({}, { 'gadget.kinvolk.io/operation': 'stop' }), 'start')).toBe(true);
  });

  it('prints the state and each node, or the operationError as a failure', () => {
    expect(
      outcome(
        trace({
          state: 'Started',
          edges: 0,
          nodes: { w1: { state: 'AgentMissing', pods: 0 }, w0: { state: 'Started', pods: 2 } },
          operationWarning: 'node w1: AgentMissing',
        }),
        'start',
      ),
    ).toEqual({
      ok: true,
      text: 'gadget/network-graph Started, 0 edges\n  w0: Started, 2 pods\n  w1: AgentMissing, 0 pods',
      warnings: ['node w1: AgentMissing'],
    });
    expect(outcome(trace({ state: 'Stopped', operationError: 'Not started' }), 'stop')).toEqual({
      ok: false,
      text: 'gadget/network-graph: Not started',
      warnings: [],
    });
  });

  it('says where generate put the NetworkPolicies', () => {
    expect(
      outcome(trace({ state: 'Stopped', policies: 2, output: '# NetworkPolicies ...' }), 'generate')
        .text,
    ).toBe(
      "gadget/network-graph: 2 NetworkPolicies in status.output (kubectl get trace -n gadget network-graph -o jsonpath='{.status.output}')",
    );
    expect(
      outcome(
        trace({
          policies: 500,
          output: 'ConfigMap gadget/network-graph-networkpolicies, key networkpolicies.yaml',
        }),
        'generate',
      ).text,
    ).toBe(
      'gadget/network-graph: 500 NetworkPolicies in ConfigMap gadget/network-graph-networkpolicies, key networkpolicies.yaml',
    );
  });
});
