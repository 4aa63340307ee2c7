import { describe, expect, it } from 'vitest';
import { validateSpec } from './validate.js';

const base = { gadget: 'network-graph' };

describe('the metricsLabels parameter', () => {
  it('is absent by default: workload-level series only', () => {
    const v = validateSpec(base);
    expect(v.ok && v.parameters.metricsLabels).toBeUndefined();
  });

  it('takes pod and ip, comma-separated', () => {
    const v = validateSpec({ ...base, parameters: { metricsLabels: 'pod, ip' } });
    expect(v.ok && v.parameters.metricsLabels).toEqual(['pod', 'ip']);
  });

  it('refuses anything else, naming the parameter and the choices', () => {
    const v = validateSpec({ ...base, parameters: { metricsLabels: 'pod,container' } });
    expect(v).toEqual({
      ok: false,
      error: 'Invalid parameter metricsLabels: "container" is not one of pod, ip',
    });
  });
});
