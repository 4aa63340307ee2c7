// What the page shows, all of it kept in the URL so a view can be shared, and the API
// query a view asks for.
import type { GraphQueryText } from '../api/graph.js';

export interface ViewState {
  trace: string;
  start: string;
  groupBy: string;
  ips: string;
  services: string;
  namespaces: string;
  minBytes: string;
  /** An absolute window (RFC 3339), instead of start. */
  from: string;
  to: string;
  ports: string;
  protocols: string;
  /** Only edges that changed against the window before. */
  changed: boolean;
  /** Large graphs open grouped (namespaces, then owners, each one node); false: everything. */
  grouping: boolean;
  /** Groups (namespaces, owners) opened, or closed, against what the graph's size opens with. */
  expanded: string;
  collapsed: string;
  /** Entities, owners and namespaces not drawn. */
  hidden: string;
  layout: 'islands' | 'hierarchy';
  /** The entity whose view is open. */
  entity: string;
  /** With an entity open: only what is this many edges away from it (0: everything). */
  hops: string;
  live: boolean;
}

const BOOLEANS = ['changed', 'grouping', 'live'] as const;

export const DEFAULT_STATE: ViewState = {
  trace: '',
  start: '-5m',
  groupBy: 'pod',
  ips: '',
  services: 'show',
  namespaces: '',
  minBytes: '0',
  from: '',
  to: '',
  ports: '',
  protocols: '',
  changed: false,
  grouping: true,
  expanded: '',
  collapsed: '',
  hidden: '',
  layout: 'islands',
  entity: '',
  hops: '0',
  live: true,
};

export function stateFromURL(search: string): ViewState {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULT_STATE };
  for (const k of Object.keys(DEFAULT_STATE) as (keyof ViewState)[]) {
    const v = q.get(k);
    if (v === null) continue;
    if ((BOOLEANS as readonly string[]).includes(k))
      // A flag on by default goes off only when told so, one off by default on likewise.
      (s as unknown as Record<string, boolean>)[k] = DEFAULT_STATE[k]
        ? v !== 'false'
        : v === 'true';
    else if (k === 'layout') s.layout = v === 'hierarchy' ? 'hierarchy' : 'islands';
    else (s as unknown as Record<string, string>)[k] = v;
  }
  return s;
}

/** Only what differs from the defaults, so shared URLs stay short. */
export function stateToURL(s: ViewState): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(DEFAULT_STATE) as (keyof ViewState)[])
    if (s[k] !== DEFAULT_STATE[k]) q.set(k, String(s[k]));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The API's query for a state (the graph, series and stream endpoints take the same). */
export function apiQuery(s: ViewState): GraphQueryText {
  const q: GraphQueryText = s.from
    ? { from: s.from, groupBy: s.groupBy, services: s.services }
    : { start: s.start, groupBy: s.groupBy, services: s.services };
  if (s.to) q.to = s.to;
  if (s.ips) q.ips = s.ips;
  if (s.namespaces) q.namespaces = s.namespaces;
  if (s.minBytes && s.minBytes !== '0') q.minBytes = s.minBytes;
  if (s.ports) q.ports = s.ports;
  if (s.protocols) q.protocols = s.protocols;
  if (s.changed) q.changed = 'true';
  return q;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as a datetime-local input shows it (local time, to the second). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A datetime-local input's value (local time) as RFC 3339 in UTC; '' stays ''. */
export function fromLocalInput(value: string): string {
  const d = new Date(value);
  return !value || Number.isNaN(d.getTime()) ? '' : d.toISOString().replace('.000Z', 'Z');
}

/** A comma-separated list's items. */
export const list = (text: string): string[] =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
