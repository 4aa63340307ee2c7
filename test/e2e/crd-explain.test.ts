// The Trace CRD explains itself on the API server, as a user asks it: `kubectl explain`
// prints the description of every field under spec and status, inside lists and maps too
// (read from crds/, so a field added without one fails here), the short name and the
// `gadget` category work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubectl, repoRoot } from './testbed.js';

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
}

const crd = parse(readFileSync(join(repoRoot, 'crds/gadget.kinvolk.io_traces.yaml'), 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
};
const root = crd.spec.versions[0]?.schema.openAPIV3Schema as Schema;

/** What kubectl explain steps into without a path segment: a list's items, a map's values. */
const element = (s: Schema): Schema =>
  s.items
    ? element(s.items)
    : typeof s.additionalProperties === 'object'
      ? element(s.additionalProperties)
      : s;

/** Every field path under spec and status that kubectl explain can name, with its schema. */
function fields(s: Schema, path: string): [string, Schema][] {
  const out: [string, Schema][] = [[path, s]];
  for (const [k, v] of Object.entries(element(s).properties ?? {}))
    out.push(...fields(v, `${path}.${k}`));
  return out;
}

// kubectl wraps descriptions at 80 columns: compare words.
const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('the Trace CRD on the API server', () => {
  const paths = ['spec', 'status'].flatMap((f) =>
    fields(root.properties?.[f] as Schema, `trace.${f}`),
  );

  it('has a description for every field under spec and status', () => {
    expect(paths.filter(([, s]) => !s.description).map(([p]) => p)).toEqual([]);
  });

  it('says what each field does in kubectl explain', async () => {
    const podname = await kubectl(['explain', 'trace.spec.filter.podname']);
    expect(podname).toContain('Only the pod of exactly this name');
    const missing: string[] = [];
    for (const [path, s] of paths) {
      const out = words(await kubectl(['explain', path])).join(' ');
      if (
        !out.includes(
          words(s.description ?? '')
            .slice(0, 12)
            .join(' '),
        )
      )
        missing.push(path);
    }
    expect(missing).toEqual([]);
  }, 120_000);

  it('documents every parameter the operator reads in spec.parameters', async () => {
    const out = words(await kubectl(['explain', 'trace.spec.parameters'])).join(' ');
    for (const p of [
      'groupBy:',
      'ips:',
      'metricsLabels:',
      'attach:',
      'policyKind:',
      'policyTypes:',
      'namedPorts:',
      'aggregateThreshold:',
      'aggregatePrefix:',
      'aggregatePrefix6:',
      'allowEmptyPodSelector:',
    ])
      expect(out).toContain(p);
  });

  it('answers to its short name and to the gadget category', async () => {
    await kubectl(['create', 'namespace', 'crd-explain']).catch(() => {});
    await kubectl(['apply', '-n', 'crd-explain', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'gadget.kinvolk.io/v1alpha1',
        kind: 'Trace',
        metadata: { name: 'explained' },
        spec: { gadget: 'network-graph' },
      }),
    });
    for (const what of ['trc', 'gadget'])
      expect(await kubectl(['get', what, '-n', 'crd-explain', '-o', 'name'])).toContain(
        'trace.gadget.kinvolk.io/explained',
      );
    await kubectl(['delete', 'namespace', 'crd-explain', '--wait=false']);
  });
});
