// Properties of Trace spec validation over generated input (fast-check): whatever
// JSON a user or a client writing around the CRD schema puts in spec, the validator
// returns, never throws, and a refusal is a short message naming the field at fault.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GROUP_BY, RUN_MODES } from './trace.js';
import { MAX_ERROR_LENGTH, SUPPORTED_OUTPUT_MODES, validateSpec } from './validate.js';

const valid = {
  node: 'worker-1',
  gadget: 'network-graph',
  filter: { namespace: 'demo', podname: 'web-0', labels: { app: 'web' }, containerName: 'main' },
  runMode: 'Manual',
  outputMode: 'Stream',
  parameters: { groupBy: 'service', ips: '10.0.0.1' },
};

// Each field a user can get wrong, and what the error must mention so they find it.
const fields: [path: string[], names: RegExp][] = [
  [['node'], /spec\.node/],
  [['gadget'], /gadget/],
  [['filter'], /spec\.filter/],
  [['filter', 'namespace'], /spec\.filter\.namespace/],
  [['filter', 'podname'], /spec\.filter\.podname/],
  [['filter', 'labels'], /spec\.filter\.labels/],
  [['filter', 'containerName'], /spec\.filter\.containerName/],
  [['runMode'], /RunMode/],
  [['outputMode'], /OutputMode/],
  [['output'], /spec\.output/],
  [['parameters'], /parameter/],
  [['parameters', 'groupBy'], /groupBy/],
  [['parameters', 'ips'], /ips/],
];

/** A copy of `spec` with the value at `path` replaced. */
function withField(path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(valid) as Record<string, unknown>;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Record<string, unknown>;
  at[path[path.length - 1] as string] = value;
  return copy;
}

// Strings a user might type: short ones, ones from the valid alphabets, unicode, and
// long ones (the apiserver accepts up to ~1.5 MiB objects).
const text = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[a-z0-9.,/ -]{0,20}$/),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(...RUN_MODES, ...SUPPORTED_OUTPUT_MODES, ...GROUP_BY, 'File', '', ' '),
  fc.nat({ max: 300_000 }).map((n) => 'a'.repeat(n)),
);
const json = fc.oneof(
  { depthSize: 'small' },
  text,
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(text, text, { maxKeys: 5 }),
);

const checks = { numRuns: 500 };

describe('validateSpec over any JSON', () => {
  it('never throws, and a refusal is a non-empty message of bounded length', () => {
    fc.assert(
      fc.property(fc.oneof(json, fc.constant(undefined)), (spec) => {
        const v = validateSpec(spec);
        if (!v.ok) {
          expect(v.error.length).toBeGreaterThan(0);
          expect(v.error.length).toBeLessThanOrEqual(MAX_ERROR_LENGTH);
        }
      }),
      checks,
    );
  });

  it.each(fields)('a bad %j is refused with a message naming it', (path, names) => {
    fc.assert(
      fc.property(json, (value) => {
        const v = validateSpec(withField(path, value));
        if (!v.ok) {
          expect(v.error).toMatch(names);
          expect(v.error.length).toBeLessThanOrEqual(MAX_ERROR_LENGTH);
        }
      }),
      checks,
    );
  });

  it('an accepted spec has its modes and groupBy in their sets, and only IP addresses in ips', () => {
    const spec = fc.record(
      {
        gadget: fc.constant('network-graph'),
        node: fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/)),
        runMode: fc.constantFrom('', ...RUN_MODES),
        outputMode: fc.constantFrom('', ...SUPPORTED_OUTPUT_MODES),
        parameters: fc.record(
          {
            groupBy: fc.constantFrom('', ...GROUP_BY),
            ips: fc
              .array(fc.oneof(fc.ipV4(), fc.ipV6(), text), { maxLength: 4 })
              .map((a) => a.join(',')),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['gadget'] },
    );
    fc.assert(
      fc.property(spec, (s) => {
        const v = validateSpec(s);
        if (!v.ok) return;
        expect(RUN_MODES).toContain(v.spec.runMode);
        expect(SUPPORTED_OUTPUT_MODES).toContain(v.spec.outputMode);
        expect(GROUP_BY).toContain(v.parameters.groupBy);
        for (const ip of v.parameters.ips) expect(ip).toMatch(/^[0-9a-fA-F.:]+$/);
      }),
      checks,
    );
  });

  it('the valid base spec is accepted, so the properties above test refusals of one field', () => {
    expect(validateSpec(valid).ok).toBe(true);
  });
});
