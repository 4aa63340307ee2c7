import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { filterNamespaceList } from './filter.js';
import type { Trace } from './trace.js';
import { validateSpec } from './validate.js';

const root = join(import.meta.dirname, '..');
const seed = parse(
  readFileSync(join(root, 'test/fixtures/traces/seed-network-graph.yaml'), 'utf8'),
) as Trace;
const crd = parse(readFileSync(join(root, 'crds/gadget.kinvolk.io_traces.yaml'), 'utf8'));
const base = { gadget: 'network-graph' };

const errorOf = (spec: unknown): string => {
  const v = validateSpec(spec);
  if (v.ok) throw new Error('expected an error');
  return v.error;
};

describe('the seed example Trace', () => {
  it('validates against the CRD openAPIV3Schema', () => {
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    const ajv = new Ajv({ strict: false, validateFormats: false });
    const ok = ajv.validate(schema, seed);
    expect(ajv.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is valid for the operator, with its modes and defaults', () => {
    const v = validateSpec(seed.spec);
    expect(v).toMatchObject({ ok: true, spec: { runMode: 'Manual', outputMode: 'Stream' } });
    expect(v.ok && v.parameters).toEqual({ groupBy: 'pod', ips: [] });
    const tcx = validateSpec({ ...seed.spec, parameters: { attach: 'tcx' } });
    expect(tcx.ok && tcx.parameters.attach).toBe('tcx');
  });

  it('the CRD schema refuses a mode outside the enums', () => {
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    const ajv = new Ajv({ strict: false, validateFormats: false });
    expect(ajv.validate(schema, { ...seed, spec: { ...seed.spec, runMode: 'Sometimes' } })).toBe(
      false,
    );
  });
});

describe("Inspektor Gadget's error strings", () => {
  it.each([
    [{ gadget: 'foo' }, 'Unknown gadget "foo"'],
    [{}, 'Unknown gadget ""'],
    [
      { ...base, runMode: 'Sometimes' },
      'Unsupported RunMode "Sometimes" for gadget "network-graph"',
    ],
    [
      { ...base, outputMode: 'Printer' },
      'Unsupported OutputMode "Printer" for gadget "network-graph"',
    ],
    [{ ...base, outputMode: 'File' }, 'Unsupported OutputMode "File" for gadget "network-graph"'],
  ])('%j -> %s', (spec, error) => {
    expect(errorOf(spec)).toBe(error);
  });
});

describe('malformed fields are named', () => {
  it.each([
    [{ ...base, node: 'Bad_Node' }, 'Invalid spec.node "Bad_Node": must be a node name'],
    [
      { ...base, filter: { namespace: 'demo,Bad NS' } },
      'Invalid spec.filter.namespace "demo,Bad NS": must be a namespace name or a comma-separated list of them',
    ],
    [
      { ...base, filter: { podname: 'x/y' } },
      'Invalid spec.filter.podname "x/y": must be a pod name',
    ],
    [
      { ...base, filter: { labels: { app: 'a b' } } },
      'Invalid spec.filter.labels.app "a b": must be a label value',
    ],
    [
      { ...base, filter: { labels: { 'bad key!': 'x' } } },
      'Invalid label key "bad key!" in spec.filter.labels',
    ],
    [{ ...base, filter: { labels: 'app=x' } }, 'Invalid spec.filter.labels: must be a object'],
    [{ ...base, filter: { nmespace: 'demo' } }, 'Unknown field spec.filter.nmespace'],
    [
      { ...base, parameters: { groupBy: 'team' } },
      'Invalid parameter groupBy "team": must be one of pod, service, namespace, owner, node',
    ],
    [
      { ...base, parameters: { colour: 'red' } },
      'Unknown parameter "colour" for gadget "network-graph": known parameters are groupBy, ips, metricsLabels, attach, policyTypes, namedPorts, aggregateThreshold, aggregatePrefix, aggregatePrefix6, allowEmptyPodSelector, policyKind',
    ],
    [
      { ...base, parameters: { ips: '10.0.0.1, nope' } },
      'Invalid parameter ips: "nope" is not an IP address',
    ],
    [
      { ...base, parameters: { attach: 'xdp' } },
      'Invalid parameter attach "xdp": must be one of socket, tcx',
    ],
  ])('%j', (spec, error) => {
    expect(errorOf(spec)).toBe(error);
  });

  it('never throws on garbage', () => {
    for (const spec of [
      null,
      42,
      'x',
      [],
      { gadget: 7 },
      { ...base, parameters: { groupBy: 3 } },
    ]) {
      expect(validateSpec(spec).ok).toBe(false);
    }
  });
});

describe('parameters and filters', () => {
  it('reads groupBy, ips and a namespace list', () => {
    const v = validateSpec({
      ...base,
      parameters: { groupBy: 'namespace', ips: '10.0.0.1, fd00::1' },
    });
    expect(v.ok && v.parameters).toEqual({ groupBy: 'namespace', ips: ['10.0.0.1', 'fd00::1'] });
    expect(filterNamespaceList({ namespace: ' demo, other ' })).toEqual(['demo', 'other']);
    expect(filterNamespaceList(undefined)).toEqual([]);
  });
});
