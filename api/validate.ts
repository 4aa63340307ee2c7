// Validation of a Trace spec, with Inspektor Gadget's error strings where it had
// them and a message naming the field everywhere else. The operator puts the
// message in status.operationError.
import { isIP } from 'node:net';
import { Ajv, type ErrorObject } from 'ajv';
import type { Result } from '../lib/result.js';
import { METRICS_LABEL_OPTIONS, type MetricsLabelOption } from './metrics.js';
import { POLICY_PARAMETERS, parsePolicyParameters } from './policy-parameters.js';
import {
  ATTACH_MODES,
  type AttachMode,
  DNS_LABEL,
  DNS_SUBDOMAIN,
  GADGET,
  GROUP_BY,
  type GroupBy,
  type OutputMode,
  RUN_MODES,
  type RunMode,
  type TraceParameters,
  type TraceSpec,
} from './trace.js';

/** Output modes netgraph implements; the rest of OUTPUT_MODES are valid for the CRD only. */
export const SUPPORTED_OUTPUT_MODES: readonly OutputMode[] = ['Stream', 'Status'];

// A label key is an optional DNS-subdomain prefix and a name; a value may be empty.
const LABEL_KEY =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';
const NAMESPACE_LIST = `^\\s*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\s*(,\\s*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\s*)*$`;

const PARAMETERS = ['groupBy', 'ips', 'metricsLabels', 'attach', ...POLICY_PARAMETERS] as const;

const specSchema = {
  type: 'object',
  properties: {
    node: { type: 'string', anyOf: [{ const: '' }, { pattern: DNS_SUBDOMAIN }] },
    gadget: { const: GADGET },
    filter: {
      type: 'object',
      properties: {
        namespace: { type: 'string', anyOf: [{ const: '' }, { pattern: NAMESPACE_LIST }] },
        podname: { type: 'string', anyOf: [{ const: '' }, { pattern: DNS_SUBDOMAIN }] },
        labels: {
          type: 'object',
          propertyNames: { pattern: LABEL_KEY },
          additionalProperties: { type: 'string', pattern: LABEL_VALUE },
        },
        containerName: { type: 'string', anyOf: [{ const: '' }, { pattern: DNS_LABEL }] },
      },
      additionalProperties: false,
    },
    runMode: { enum: ['', ...RUN_MODES] },
    outputMode: { enum: ['', ...SUPPORTED_OUTPUT_MODES] },
    output: { type: 'string' },
    parameters: {
      type: 'object',
      propertyNames: { enum: [...PARAMETERS] },
      additionalProperties: { type: 'string' },
      properties: { groupBy: { enum: ['', ...GROUP_BY] }, attach: { enum: ['', ...ATTACH_MODES] } },
    },
  },
  required: ['gadget'],
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const check = ajv.compile(specSchema);

/** The longest message validateSpec returns: a value quoted in it is cut short. */
export const MAX_ERROR_LENGTH = 512;
const MAX_QUOTED = 100;

// A long value is cut in the message, so the status that quotes it stays small
// (the Trace already holds the value; twice a long one is over etcd's object limit).
const cut = (text: string): string =>
  text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...(${text.length} chars)` : text;
const quote = (v: unknown): string => cut(JSON.stringify(v ?? ''));

/** Turns ajv's first error into the message a user reads in status.operationError. */
function message(spec: Record<string, unknown>, err: ErrorObject): string {
  const gadget = quote(spec.gadget);
  // `/filter/labels/app` -> ['filter', 'labels', 'app']
  const path = err.instancePath.split('/').slice(1);
  const field = cut(path.join('.'));
  const value = path.reduce<unknown>(
    (v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined),
    spec,
  );
  if (err.keyword === 'required' && err.params.missingProperty === 'gadget') {
    return `Unknown gadget ""`;
  }
  switch (path[0]) {
    case 'gadget':
      return `Unknown gadget ${quote(value)}`;
    case 'runMode':
      return `Unsupported RunMode ${quote(value)} for gadget ${gadget}`;
    case 'outputMode':
      return `Unsupported OutputMode ${quote(value)} for gadget ${gadget}`;
  }
  // ajv reports a bad property name on the inner error, with the name beside it.
  const name = err.propertyName ?? (err.params.propertyName as string | undefined);
  if (name !== undefined) {
    return path[0] === 'parameters'
      ? `Unknown parameter ${quote(name)} for gadget ${gadget}: known parameters are ${PARAMETERS.join(', ')}`
      : `Invalid label key ${quote(name)} in spec.filter.labels`;
  }
  if (err.keyword === 'additionalProperties') {
    return `Unknown field spec.${field ? `${field}.` : ''}${cut(String(err.params.additionalProperty))}`;
  }
  if (err.keyword === 'type') return `Invalid spec.${field}: must be a ${err.params.type}`;
  if (field === 'parameters.groupBy') {
    return `Invalid parameter groupBy ${quote(value)}: must be one of ${GROUP_BY.join(', ')}`;
  }
  if (field === 'parameters.attach') {
    return `Invalid parameter attach ${quote(value)}: must be one of ${ATTACH_MODES.join(', ')}`;
  }
  const expect: Record<string, string> = {
    node: 'a node name',
    'filter.namespace': 'a namespace name or a comma-separated list of them',
    'filter.podname': 'a pod name',
    'filter.containerName': 'a container name',
  };
  const what = path[0] === 'filter' && path[1] === 'labels' ? 'a label value' : expect[field];
  return `Invalid spec.${field} ${quote(value)}: must be ${what ?? 'valid'}`;
}

/** A spec as the operator runs it (defaults filled in), or why it is refused. */
export type Validation = Result<{
  spec: Required<Pick<TraceSpec, 'runMode' | 'outputMode'>> & TraceSpec;
  parameters: TraceParameters;
}>;

/**
 * Checks a Trace spec and fills its defaults (runMode Manual, outputMode Stream,
 * groupBy pod). Never throws: a bad spec yields `{ ok: false, error }`.
 */
export function validateSpec(spec: unknown): Validation {
  const s = (spec ?? {}) as Record<string, unknown>;
  if (typeof s !== 'object' || Array.isArray(s))
    return { ok: false, error: 'Invalid spec: must be an object' };
  if (!check(s))
    return { ok: false, error: message(s, (check.errors as ErrorObject[])[0] as ErrorObject) };
  const t = s as TraceSpec;
  const ips = (t.parameters?.ips ?? '')
    .split(',')
    .map((ip) => ip.trim())
    .filter(Boolean);
  const bad = ips.find((ip) => isIP(ip) === 0);
  if (bad !== undefined)
    return { ok: false, error: `Invalid parameter ips: ${quote(bad)} is not an IP address` };
  try {
    parsePolicyParameters(t.parameters);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const metricsLabels = (t.parameters?.metricsLabels ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  const badLabel = metricsLabels.find(
    (l) => !(METRICS_LABEL_OPTIONS as readonly string[]).includes(l),
  );
  if (badLabel !== undefined)
    return {
      ok: false,
      error: `Invalid parameter metricsLabels: ${quote(badLabel)} is not one of ${METRICS_LABEL_OPTIONS.join(', ')}`,
    };
  return {
    ok: true,
    spec: {
      ...t,
      runMode: (t.runMode || 'Manual') as RunMode,
      outputMode: (t.outputMode || 'Stream') as OutputMode,
    },
    parameters: {
      groupBy: (t.parameters?.groupBy || 'pod') as GroupBy,
      ips,
      ...(t.parameters?.attach && { attach: t.parameters.attach as AttachMode }),
      ...(metricsLabels.length > 0 && {
        metricsLabels: metricsLabels as MetricsLabelOption[],
      }),
    },
  };
}
