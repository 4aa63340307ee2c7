// The graph page (Pixie's Live View for netgraph), served by the operator on `/`:
// controls at the top (all in the URL), the graph drawn with WebGL (graph-view.ts), a
// sortable table of the same edges under it (table.ts), and an entity's bytes sent and
// received in 10-second bins (series-chart.ts). It reads only the operator's /api/v1/
// (api-client.ts) and follows the live stream, so new edges and growing counters appear
// without a reload. This file assembles them and keeps the view's state.
import type { Graph } from '../api/graph.js';
import { fetchGraph, fetchSeries, fetchTraces, follow } from './api-client.js';
import { applyUpdate } from './apply-update.js';
import { collapse } from './collapse.js';
import { toDot } from './dot.js';
import { formatBytes } from './format.js';
import { GraphView } from './graph-view.js';
import { SeriesChart } from './series-chart.js';
import { EdgeTable } from './table.js';
import { apiQuery, list, stateFromURL, stateToURL, type ViewState } from './view-state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let state: ViewState = stateFromURL(location.search);
let raw: Graph = { entities: [], edges: [] };
let shown: Graph = raw;
let closeStream: (() => void) | undefined;

const view = new GraphView(
  {
    container: $('graph'),
    pan: $('pan'),
    islands: $('islands'),
    hovercard: $('hovercard'),
    onEntity: (id) => {
      if (id === '') table.selected = '';
      setState({ entity: id }, false);
      refreshFocus();
    },
    onNamespace: toggleCollapse,
  },
  {
    entity: state.entity,
    edge: '',
    layout: state.layout,
    collapsed: new Set(list(state.collapsed)),
  },
);
const table = new EdgeTable($('table'), $('table-note'), (edge, was) => {
  view.focus.edge = edge;
  view.redrawEdges([was, edge]);
});
const chart = new SeriesChart($('series'), $('series-title'));

// ---- state and controls ----

function setState(patch: Partial<ViewState>, reload = true): void {
  state = { ...state, ...patch };
  view.focus.entity = state.entity;
  view.focus.layout = state.layout;
  view.focus.collapsed = new Set(list(state.collapsed));
  history.replaceState(null, '', `${location.pathname}${stateToURL(state)}`);
  syncControls();
  if (reload) void load();
}

const CONTROLS: (keyof ViewState)[] = [
  'start',
  'groupBy',
  'ips',
  'services',
  'namespaces',
  'minBytes',
  'layout',
];

function syncControls(): void {
  for (const k of CONTROLS) $<HTMLInputElement>(k).value = String(state[k]);
  $<HTMLSelectElement>('trace').value = state.trace;
  $<HTMLInputElement>('live').checked = state.live;
}

function bindControls(): void {
  for (const k of CONTROLS)
    $(k).addEventListener('change', (ev) => {
      const value = (ev.target as HTMLInputElement).value.trim();
      if (k === 'layout') {
        setState({ layout: value === 'hierarchy' ? 'hierarchy' : 'islands' }, false);
        view.relayout();
      } else setState({ [k]: value } as Partial<ViewState>);
    });
  $('trace').addEventListener('change', (ev) =>
    setState({ trace: (ev.target as HTMLSelectElement).value, entity: '' }),
  );
  $('live').addEventListener('change', (ev) =>
    setState({ live: (ev.target as HTMLInputElement).checked }),
  );
  $('relax').addEventListener('click', () => view.relax());
  $('export-json').addEventListener('click', () =>
    download(
      `${fileBase()}.json`,
      'application/json',
      JSON.stringify({ view: state, entities: shown.entities, edges: shown.edges }, null, 2),
    ),
  );
  $('export-dot').addEventListener('click', () =>
    download(`${fileBase()}.dot`, 'text/vnd.graphviz', toDot(shown)),
  );
  $('export-png').addEventListener('click', () => {
    const a = document.createElement('a');
    a.href = view.snapshot().toDataURL('image/png');
    a.download = `${fileBase()}.png`;
    a.click();
  });
  $('entity-close').addEventListener('click', () => {
    setState({ entity: '' }, false);
    refreshFocus();
  });
}

const fileBase = () => `netgraph-${state.trace.replace('/', '-')}-${state.groupBy}`;

function download(name: string, type: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function showError(text: string): void {
  const el = $('error');
  el.textContent = text;
  el.hidden = text === '';
}

// ---- data ----

async function loadTraces(): Promise<void> {
  const { traces } = await fetchTraces();
  const select = $<HTMLSelectElement>('trace');
  select.replaceChildren(
    ...traces.map((t) => new Option(`${t.trace} (${t.state}, ${t.edges} edges)`, t.trace)),
  );
  if (!state.trace || !traces.some((t) => t.trace === state.trace)) {
    const pick = traces.find((t) => t.state === 'Started') ?? traces[0];
    if (pick) setState({ trace: pick.trace }, false);
  }
  select.value = state.trace;
  if (traces.length === 0)
    showError(
      'No trace yet: start one (kubectl annotate trace/NAME gadget.kinvolk.io/operation=start).',
    );
}

async function load(): Promise<void> {
  closeStream?.();
  closeStream = undefined;
  if (!state.trace) return;
  try {
    raw = await fetchGraph(state.trace, apiQuery(state));
  } catch (err) {
    showError((err as Error).message);
    return;
  }
  showError('');
  performance.mark('netgraph:fetched');
  sync(true);
  performance.mark('netgraph:synced');
  void loadSeries();
  if (state.live)
    closeStream = follow(state.trace, apiQuery(state), {
      graph: (g) => {
        raw = g;
        sync(false);
      },
      update: (u) => {
        raw = applyUpdate(raw, u);
        scheduleSync();
        scheduleSeries();
      },
    });
}

let syncTimer: ReturnType<typeof setTimeout> | undefined;
/**
 * Live changes drawn at once on small graphs; on big ones at most every 5 s, since a redraw
 * of thousands of edges takes about a second without a GPU.
 */
function scheduleSync(): void {
  if (syncTimer) return;
  syncTimer = setTimeout(
    () => {
      syncTimer = undefined;
      sync(false);
    },
    view.graph.size > 2000 ? 5000 : 0,
  );
}

let seriesTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleSeries(): void {
  if (seriesTimer) return;
  seriesTimer = setTimeout(() => {
    seriesTimer = undefined;
    void loadSeries();
  }, 2000);
}

/** Makes the page what `raw` says; existing entities keep their place unless `relayoutAll`. */
function sync(relayoutAll: boolean): void {
  shown = collapse(raw, view.focus.collapsed);
  view.sync(shown, relayoutAll);
  table.show(shown.edges, state.entity);
  renderNamespaces();
  renderEntity();
  $('summary').textContent = `${shown.entities.length} entities, ${shown.edges.length} edges`;
}

function toggleCollapse(namespace: string): void {
  const set = new Set(list(state.collapsed));
  if (set.has(namespace)) set.delete(namespace);
  else set.add(namespace);
  setState({ collapsed: [...set].join(',') }, false);
  shown = collapse(raw, view.focus.collapsed);
  view.rebuild(shown);
  table.show(shown.edges, state.entity);
  renderNamespaces();
  renderEntity();
  $('summary').textContent = `${shown.entities.length} entities, ${shown.edges.length} edges`;
}

function renderNamespaces(): void {
  const namespaces = [...new Set(raw.entities.map((e) => e.namespace).filter(Boolean))].sort();
  $('namespace-list').replaceChildren(
    ...namespaces.map((ns) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = view.focus.collapsed.has(ns);
      box.dataset.namespace = ns;
      box.addEventListener('change', () => toggleCollapse(ns));
      label.append(box, ` ${ns}`);
      return label;
    }),
  );
}

function refreshFocus(): void {
  renderEntity();
  table.show(shown.edges, state.entity);
  view.refreshFocus();
  void loadSeries();
}

// ---- the entity view and its time series ----

function renderEntity(): void {
  const panel = $('entity');
  const e = shown.entities.find((x) => x.id === state.entity);
  panel.hidden = !e;
  if (!e) return;
  $('entity-title').textContent = `${e.kind} ${e.id}`;
  $('entity-totals').textContent =
    `sent ${formatBytes(e.bytesSent)}, received ${formatBytes(e.bytesReceived)}, ${view.graph.degree(e.id)} edges`;
}

async function loadSeries(): Promise<void> {
  const top = [...shown.entities].sort(
    (a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived),
  )[0];
  const entity = state.entity || top?.id;
  if (!entity || !state.trace || entity.startsWith('namespace/')) return;
  const s = await fetchSeries(state.trace, apiQuery(state), entity).catch(() => undefined);
  if (s) chart.show(s);
}

// ---- for tests and the benchmark: what a person sees, read from the page ----

Object.assign(window, {
  netgraph: {
    edgeMiddle: (id: string) => view.edgeMiddle(id),
    nodePosition: (id: string) => view.nodePosition(id),
    edgeColor: (id: string) => view.renderer.getEdgeDisplayData(id)?.color,
    shown: () => shown,
    painted: () => view.painted(),
    draws: () => view.draws,
    firstDrawMs: () => view.firstDrawMs,
  },
});

async function main(): Promise<void> {
  bindControls();
  syncControls();
  // A trace named in the URL is fetched while the list of traces loads.
  const named = state.trace;
  const first = named ? load() : undefined;
  await loadTraces();
  if (state.trace !== named) await load();
  else await first;
}

void main().catch((err: unknown) => showError(String(err)));
