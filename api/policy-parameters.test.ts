import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_PARAMETERS, parsePolicyParameters } from './policy-parameters.js';
import { validateSpec } from './validate.js';

const spec = (parameters: Record<string, string>) => ({ gadget: 'network-graph', parameters });

describe('policy parameters', () => {
  it('defaults: both policy types, numbers for ports, /24 past 16 addresses, no empty selector', () => {
    expect(parsePolicyParameters()).toEqual(DEFAULT_POLICY_PARAMETERS);
    expect(parsePolicyParameters({ policyTypes: '' })).toEqual(DEFAULT_POLICY_PARAMETERS);
  });

  it('reads every parameter', () => {
    expect(
      parsePolicyParameters({
        policyTypes: 'Egress',
        namedPorts: 'true',
        aggregateThreshold: '3',
        aggregatePrefix: '16',
        aggregatePrefix6: '48',
        allowEmptyPodSelector: 'true',
        policyKind: 'cilium',
      }),
    ).toEqual({
      policyTypes: ['Egress'],
      namedPorts: true,
      aggregateThreshold: 3,
      aggregatePrefix: 16,
      aggregatePrefix6: 48,
      allowEmptyPodSelector: true,
      policyKind: 'cilium',
    });
    expect(parsePolicyParameters({ policyTypes: 'Egress, Ingress' }).policyTypes).toEqual([
      'Ingress',
      'Egress',
    ]);
  });

  it('a bad value is refused at validation, naming the parameter', () => {
    const cases: [Record<string, string>, string][] = [
      [
        { policyTypes: 'Both' },
        'Invalid parameter policyTypes "Both": must be Ingress, Egress or Ingress,Egress',
      ],
      [{ policyTypes: 'Ingress,Ingress' }, 'Invalid parameter policyTypes'],
      [{ namedPorts: 'yes' }, 'Invalid parameter namedPorts "yes": must be true or false'],
      [
        { aggregatePrefix: '33' },
        'Invalid parameter aggregatePrefix "33": must be a whole number from 8 to 32',
      ],
      [{ aggregatePrefix6: '-1' }, 'Invalid parameter aggregatePrefix6'],
      [{ aggregateThreshold: '0' }, 'Invalid parameter aggregateThreshold'],
      [{ allowEmptyPodSelector: '1' }, 'Invalid parameter allowEmptyPodSelector'],
      [
        { policyKind: 'Cilium' },
        'Invalid parameter policyKind "Cilium": must be networkpolicy or cilium',
      ],
    ];
    for (const [p, msg] of cases) {
      const v = validateSpec(spec(p));
      expect(v.ok).toBe(false);
      expect(v.ok ? '' : v.error).toContain(msg);
    }
    expect(validateSpec(spec({ policyTypes: 'Ingress', namedPorts: 'false' })).ok).toBe(true);
  });
});
