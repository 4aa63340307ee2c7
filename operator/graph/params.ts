// The graph API's query parameters, checked: each bad one is named in the error,
// which the API returns as a 400 (see the README's API table).
import { isIP } from 'node:net';
import {
  GRAPH_PARAMS,
  type GraphParamName,
  SERVICE_MODES,
  type ServiceMode,
} from '../../api/graph.js';
import { GROUP_BY, type GroupBy } from '../../api/trace.js';
import { canonicalIP } from '../../lib/ip.js';
import type { GraphQuery } from './graph.js';

export class ParameterError extends Error {
  constructor(
    readonly parameter: GraphParamName | string,
    why: string,
  ) {
    super(why);
  }
}

export interface GraphParams extends GraphQuery {
  /** How far back the window starts, in ms (Pixie's `start`, like -5m). */
  startMs: number;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Pixie's `start`: a negative duration, -30s, -5m, -1h; at most `windowMs` back. */
export function parseStart(text: string, windowMs: number): number {
  const m = /^-(\d+)(s|m|h)$/.exec(text);
  if (!m)
    throw new ParameterError(
      'start',
      `must be a time before now like -5m, -30s or -1h, not "${text}"`,
    );
  const ms = Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000);
  if (ms <= 0) throw new ParameterError('start', 'must be before now');
  if (ms > windowMs)
    throw new ParameterError(
      'start',
      `${text} is older than the history the operator keeps (${windowMs / 60_000} minutes, flag --history-window)`,
    );
  return ms;
}

const list = (v: string | null) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The graph's parameters from a query string; defaults: -5m, pod, every address, show services. */
export function graphParams(q: URLSearchParams, windowMs: number): GraphParams {
  const known = Object.keys(GRAPH_PARAMS);
  for (const k of q.keys())
    if (!known.includes(k))
      throw new ParameterError(k, `unknown parameter (known: ${known.join(', ')})`);
  const get = (name: GraphParamName) => q.get(name);
  const startMs = parseStart(get('start') ?? '-5m', windowMs);
  const groupBy = (get('groupBy') ?? 'pod') as GroupBy;
  if (!GROUP_BY.includes(groupBy))
    throw new ParameterError('groupBy', `must be one of ${GROUP_BY.join(', ')}, not "${groupBy}"`);
  const ips = list(get('ips'));
  for (const ip of ips)
    if (isIP(ip) === 0) throw new ParameterError('ips', `"${ip}" is not an IP address`);
  const services = (get('services') ?? 'show') as ServiceMode;
  if (!SERVICE_MODES.includes(services))
    throw new ParameterError('services', `must be show or fold, not "${services}"`);
  const namespaces = list(get('namespaces'));
  for (const ns of namespaces)
    if (!NAMESPACE.test(ns))
      throw new ParameterError('namespaces', `"${ns}" is not a namespace name`);
  const mb = get('minBytes') ?? '0';
  if (!/^\d+$/.test(mb))
    throw new ParameterError('minBytes', `must be a whole number of bytes, not "${mb}"`);
  return {
    startMs,
    groupBy,
    ips: ips.map(canonicalIP),
    services,
    namespaces,
    minBytes: Number(mb),
  };
}
