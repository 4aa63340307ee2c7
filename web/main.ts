// The graph page (Pixie's Live View for netgraph), served by the operator on `/`:
// controls at the top (all in the URL), the graph drawn with WebGL (graph-view.ts), a
// side panel (find, the open entity, the legend, the namespaces), a sortable table of the
// same edges under it (table.ts), and an entity's bytes sent and received in 10-second bins
// (series-chart.ts). It reads only the operator's /api/v1/ (api-client.ts) and follows the
// live stream, so new edges and growing counters appear without a reload. A large graph
// is drawn grouped (groups.ts). This file assembles them and keeps the view's state.
import type { Coverage, Graph, TraceRunState, WindowSources } from '../api/graph.js';
import { fetchGraph, fetchSeries, fetchTraces, follow } from './api-client.js';
import { applyUpdate } from './apply-update.js';
import { toDot } from './dot.js';
import { GraphView } from './graph-view.js';
import { Groups, type ShownGraph, THRESHOLD } from './groups.js';
import { renderLegend } from './legend.js';
import { edgesNote } from './scale.js';
import { SeriesChart } from './series-chart.js';
import { SidePanel } from './side-panel.js';
import { EdgeTable } from './table.js';
import { hide, neighbourhood } from './view-filter.js';
import {
  apiQuery,
  fromLocalInput,
  list,
  stateFromURL,
  stateToURL,
  toLocalInput,
  type ViewState,
} from './view-state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let state: ViewState = stateFromURL(location.search);
let raw: Graph = { entities: [], edges: [] };
let traceState: TraceRunState | '' = '';
/** Without what is hidden: what find searches and groups are made of. */
let visible: Graph = raw;
let groups = new Groups(raw, { limit: THRESHOLD, expanded: new Set(), collapsed: new Set() });
let shown: ShownGraph = raw;
let closeStream: (() => void) | undefined;

const view = new GraphView(
  {
    container: $('graph'),
    pan: $('pan'),
    islands: $('islands'),
    hovercard: $('hovercard'),
    onEntity: (id) => {
      const group = id ? groups.groupOf(id) : undefined;
      if (group !== undefined) toggleGroup(group);
      else openEntity(id);
    },
    onNamespace: (ns) => toggleGroup(ns),
  },
  { entity: state.entity, edge: '', layout: state.layout, closed: new Set() },
);
const table = new EdgeTable($('table'), $('table-note'), (edge, was) => {
  view.focus.edge = edge;
  view.redrawEdges([was, edge]);
});
const chart = new SeriesChart($('series'), $('series-title'));
const side = new SidePanel({
  toggleGroup: (key) => toggleGroup(key),
  hide: (key) => hideKey(key),
  unhide: (key) => {
    setState(
      {
        hidden: list(state.hidden)
          .filter((k) => k !== key)
          .join(','),
      },
      false,
    );
    regroup();
  },
  reveal: (id) => reveal(id),
  openEntity: (id) => openEntity(id),
});

// ---- state and controls ----

function setState(patch: Partial<ViewState>, reload = true): void {
  state = { ...state, ...patch };
  view.focus.entity = state.entity;
  view.focus.layout = state.layout;
  history.replaceState(null, '', `${location.pathname}${stateToURL(state)}`);
  syncControls();
  if (reload) void load();
}

/** Controls whose value is the state's text as it is; each change asks the API again. */
const TEXT_CONTROLS = [
  'start',
  'groupBy',
  'ips',
  'ports',
  'protocols',
  'services',
  'namespaces',
  'minBytes',
] as const;
const TIME_CONTROLS = ['from', 'to'] as const;
const FLAG_CONTROLS = ['changed', 'live'] as const;

function syncControls(): void {
  for (const k of TEXT_CONTROLS) $<HTMLInputElement>(k).value = state[k];
  for (const k of TIME_CONTROLS) $<HTMLInputElement>(k).value = toLocalInput(state[k]);
  for (const k of FLAG_CONTROLS) $<HTMLInputElement>(k).checked = state[k];
  $<HTMLInputElement>('grouping').checked = state.grouping;
  $<HTMLSelectElement>('layout').value = state.layout;
  $<HTMLSelectElement>('trace').value = state.trace;
  $<HTMLInputElement>('hops').value = state.hops;
  // An absolute window replaces start.
  $<HTMLSelectElement>('start').disabled = state.from !== '';
}

function bindControls(): void {
  const value = (ev: Event) => (ev.target as HTMLInputElement).value.trim();
  for (const k of TEXT_CONTROLS)
    $(k).addEventListener('change', (ev) => setState({ [k]: value(ev) }));
  for (const k of TIME_CONTROLS)
    $(k).addEventListener('change', (ev) => setState({ [k]: fromLocalInput(value(ev)) }));
  for (const k of FLAG_CONTROLS)
    $(k).addEventListener('change', (ev) =>
      setState({ [k]: (ev.target as HTMLInputElement).checked }),
    );
  $('grouping').addEventListener('change', (ev) => {
    setState(
      { grouping: (ev.target as HTMLInputElement).checked, expanded: '', collapsed: '' },
      false,
    );
    regroup();
  });
  $('layout').addEventListener('change', (ev) => {
    setState({ layout: value(ev) === 'hierarchy' ? 'hierarchy' : 'islands' }, false);
    view.relayout();
  });
  $('trace').addEventListener('change', (ev) =>
    setState({ trace: value(ev), entity: '', expanded: '', collapsed: '', hidden: '' }),
  );
  $('hops').addEventListener('change', (ev) => {
    setState({ hops: String(Math.max(0, Math.min(9, Number(value(ev)) || 0))) }, false);
    regroup();
    view.frame(() => true);
  });
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

/** Which part of the window came from where: a note when not all of it is the operator's memory. */
function showSources(s: WindowSources): void {
  const el = $('sources');
  const at = (iso: string) => new Date(iso).toLocaleString();
  el.textContent =
    s.warning ??
    (s.prometheus
      ? `Before ${at(s.prometheus.to)}: from Prometheus, by workload (pods are drawn as their workload), as often as it scraped.`
      : '');
  el.hidden = el.textContent === '';
}

/** Says when the graph lacks some operator replica's nodes (it did not answer in time). */
function showCoverage(c: Coverage): void {
  const el = $('coverage');
  el.textContent = c.partial
    ? `Partial: operator replicas ${c.missing.join(', ')} did not answer; the edges of their nodes are missing.`
    : '';
  el.hidden = el.textContent === '';
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
    const g = await fetchGraph(state.trace, apiQuery(state));
    raw = g;
    traceState = g.state;
    showSources(g.sources);
    showCoverage(g);
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
        traceState = g.state;
        showSources(g.sources);
        showCoverage(g);
        sync(false);
      },
      update: (u) => {
        raw = applyUpdate(raw, u);
        traceState = u.state;
        showCoverage(u);
        scheduleSync();
        scheduleSeries();
      },
      refused: () =>
        showError(
          'The operator refused the live stream (too many open?): the graph is not following changes; reload to try again.',
        ),
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

/** What is drawn, from `raw` and the view: hidden taken out, groups closed, focus applied. */
function compute(): void {
  visible = hide(raw, new Set(list(state.hidden)));
  groups = new Groups(visible, {
    limit: state.grouping ? THRESHOLD : Number.POSITIVE_INFINITY,
    expanded: new Set(list(state.expanded)),
    collapsed: new Set(list(state.collapsed)),
  });
  const grouped = groups.graph();
  const hops = Number(state.hops);
  shown = state.entity && hops > 0 ? neighbourhood(grouped, state.entity, hops) : grouped;
  view.focus.closed = groups.closedNamespaces();
}

/** Makes the page what `raw` says; existing entities keep their place unless `relayoutAll`. */
function sync(relayoutAll: boolean): void {
  compute();
  view.sync(shown, relayoutAll);
  renderSide();
}

/** Groups opened or closed, something hidden, the focus changed: laid out again. */
function regroup(): void {
  compute();
  view.rebuild(shown);
  renderSide();
}

function renderSide(): void {
  table.show(shown.edges, state.entity);
  side.render({
    traceState,
    visible,
    shown,
    groups,
    closed: view.focus.closed,
    entity: state.entity,
    hidden: list(state.hidden),
    degree: (id) => (view.graph.hasNode(id) ? view.graph.degree(id) : 0),
    edgesNote: edgesNote(shown.edges.length, view.split),
  });
}

/** Opens a closed group, framing what it holds; closes an open one, framing everything. */
function toggleGroup(key: string): void {
  const opening = groups.closed(key);
  const lists = groups.toggle(key);
  setState({ expanded: lists.expanded.join(','), collapsed: lists.collapsed.join(',') }, false);
  regroup();
  const owner = key.includes('/');
  view.frame((a) => !opening || (owner ? a.owner === key : a.namespace === key));
}

function openEntity(id: string): void {
  if (id === '') {
    table.selected = '';
    view.focus.edge = '';
  }
  setState({ entity: id }, false);
  if (Number(state.hops) > 0) regroup();
  else refreshFocus();
}

/** Find's answer: the entity's groups opened, the entity open, centred, its neighbours lit. */
function reveal(id: string): void {
  const lists = groups.reveal(id);
  setState(
    { expanded: lists.expanded.join(','), collapsed: lists.collapsed.join(','), entity: id },
    false,
  );
  regroup();
  view.centre(id);
  void loadSeries();
}

function hideKey(key: string): void {
  if (!key) return;
  const hidden = new Set(list(state.hidden));
  hidden.add(key);
  setState({ hidden: [...hidden].join(','), entity: '' }, false);
  regroup();
}

function refreshFocus(): void {
  side.renderEntity(state.entity);
  table.show(shown.edges, state.entity);
  view.refreshFocus();
  void loadSeries();
}

// ---- the time series ----

async function loadSeries(): Promise<void> {
  const top = [...raw.entities].sort(
    (a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived),
  )[0];
  // A group's series would be its members' sum: the API serves an entity's only.
  const own = state.entity && !groups.groupOf(state.entity) ? state.entity : undefined;
  const entity = own ?? top?.id;
  if (!entity || !state.trace) return;
  const s = await fetchSeries(state.trace, apiQuery(state), entity).catch(() => undefined);
  const why = state.entity
    ? `the window's busiest entity: the group ${state.entity} has no series of its own`
    : "the window's busiest entity, until you select one";
  if (s) chart.show(s, own ? undefined : why);
}

// ---- for tests and the benchmark: what a person sees, read from the page ----

Object.assign(window, {
  netgraph: {
    edgeMiddle: (id: string) => view.edgeMiddle(id),
    nodePosition: (id: string) => view.nodePosition(id),
    edgeColor: (id: string) => view.renderer.getEdgeDisplayData(id)?.color,
    edgeSize: (id: string) => view.renderer.getEdgeDisplayData(id)?.size,
    strongEdges: () => [...view.split.strong],
    shown: () => shown,
    painted: () => view.painted(),
    draws: () => view.draws,
    firstDrawMs: () => view.firstDrawMs,
    labelsShown: () => view.labelsShown(),
  },
});

async function main(): Promise<void> {
  renderLegend($('legend'));
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
