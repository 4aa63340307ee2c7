// The graph API's query parameters, checked: each bad one is named in the error,
// which the API returns as a 400 (see the README's API table).
import { isIP } from 'node:net';
import {
  GRAPH_PARAMS,
  type GraphParamName,
  PROTOCOLS,
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
  /** How far back the window starts from its end, in ms (Pixie's `start`, like -5m). */
  startMs: number;
  /** An absolute window (Unix ms): from `fromMs` (instead of `startMs`) to `toMs`. */
  fromMs?: number;
  toMs?: number;
  /** Only edges that changed against the window of the same length before. */
  changed: boolean;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** How far back `windowMs` reaches, and which flags set it. */
const reach = (windowMs: number) =>
  `${windowMs / 60_000} minutes: flag --history-window, or more with --prometheus-url`;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Pixie's `start`: a negative duration, -30s, -5m, -1h; at most `windowMs` back (the
 * memory's window, or Prometheus's reach).
 */
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
      `${text} is older than the history the operator reaches (${reach(windowMs)})`,
    );
  return ms;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time inside the history the operator keeps (`end - windowMs` to `end`). */
function parseTime(name: 'from' | 'to', text: string, windowMs: number, end: number): number {
  const ms = Date.parse(text);
  if (!RFC3339.test(text) || Number.isNaN(ms))
    throw new ParameterError(
      name,
      `must be an RFC 3339 time like 2026-01-02T15:04:05Z, not "${text}"`,
    );
  if (ms < end - windowMs)
    throw new ParameterError(
      name,
      `${text} is older than the history the operator reaches (${reach(windowMs)})`,
    );
  if (ms > end)
    throw new ParameterError(name, `${text} is after the history's end (now, or the trace's stop)`);
  return ms;
}

const list = (v: string | null) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The graph's parameters from a query string; defaults: -5m, pod, every address, show
 * services. `end`: where the trace's history ends (now, or when it stopped).
 */
export function graphParams(q: URLSearchParams, windowMs: number, end = Date.now()): GraphParams {
  const known = Object.keys(GRAPH_PARAMS);
  for (const k of q.keys())
    if (!known.includes(k))
      throw new ParameterError(k, `unknown parameter (known: ${known.join(', ')})`);
  const get = (name: GraphParamName) => q.get(name);
  const startMs = parseStart(get('start') ?? '-5m', windowMs);
  const from = get('from');
  const to = get('to');
  if (from !== null && get('start') !== null)
    throw new ParameterError('start', 'give start or from, not both');
  const fromMs = from === null ? undefined : parseTime('from', from, windowMs, end);
  const toMs = to === null ? undefined : parseTime('to', to, windowMs, end);
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs)
    throw new ParameterError('to', `must be after from (${from})`);
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
  const ports = list(get('ports')).map((p) => {
    const n = /^\d{1,5}$/.test(p) ? Number(p) : 0;
    if (n < 1 || n > 65535) throw new ParameterError('ports', `"${p}" is not a port (1-65535)`);
    return n;
  });
  const protocols = list(get('protocols')).map((p) => p.toLowerCase());
  for (const p of protocols)
    if (!(PROTOCOLS as readonly string[]).includes(p))
      throw new ParameterError('protocols', `must be ${PROTOCOLS.join(' or ')}, not "${p}"`);
  const changed = get('changed') ?? 'false';
  if (changed !== 'true' && changed !== 'false')
    throw new ParameterError('changed', `must be true or false, not "${changed}"`);
  return {
    startMs,
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(toMs === undefined ? {} : { toMs }),
    changed: changed === 'true',
    ports,
    protocols,
    groupBy,
    ips: ips.map(canonicalIP),
    services,
    namespaces,
    minBytes: Number(mb),
  };
}
