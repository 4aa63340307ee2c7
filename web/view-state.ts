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
  /** Namespaces drawn as one node, comma-separated. */
  collapsed: string;
  layout: 'islands' | 'hierarchy';
  /** The entity whose view is open. */
  entity: string;
  live: boolean;
}

export const DEFAULT_STATE: ViewState = {
  trace: '',
  start: '-5m',
  groupBy: 'pod',
  ips: '',
  services: 'show',
  namespaces: '',
  minBytes: '0',
  collapsed: '',
  layout: 'islands',
  entity: '',
  live: true,
};

export function stateFromURL(search: string): ViewState {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULT_STATE };
  for (const k of Object.keys(DEFAULT_STATE) as (keyof ViewState)[]) {
    const v = q.get(k);
    if (v === null) continue;
    if (k === 'live') s.live = v !== 'false';
    else if (k === 'layout') s.layout = v === 'hierarchy' ? 'hierarchy' : 'islands';
    else s[k] = v;
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
  const q: GraphQueryText = { start: s.start, groupBy: s.groupBy, services: s.services };
  if (s.ips) q.ips = s.ips;
  if (s.namespaces) q.namespaces = s.namespaces;
  if (s.minBytes && s.minBytes !== '0') q.minBytes = s.minBytes;
  return q;
}

/** A comma-separated list's items. */
export const list = (text: string): string[] =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
