// The graph page (Pixie's Live View for netgraph), served by the operator on `/`:
// controls at the top (all in the URL), the graph drawn with WebGL (sigma), a
// sortable table of the same edges under it, and an entity's bytes sent and received
// in 10-second bins (uPlot). It reads only the operator's /api/v1/ and follows the
// live stream, so new edges and growing counters appear without a reload.
import Graphology from 'graphology';
import FA2Layout from 'graphology-layout-forceatlas2/worker';
import Sigma from 'sigma';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import {
  apiQuery,
  collapse,
  edgeColor,
  edgeWidth,
  formatBytes,
  type Graph,
  type GraphEdge,
  hierarchyLayout,
  type Island,
  islandLayout,
  KIND_COLORS,
  list,
  type Point,
  stateFromURL,
  stateToURL,
  toDot,
  type ViewState,
} from './model.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let state: ViewState = stateFromURL(location.search);
let raw: Graph = { entities: [], edges: [] };
let shown: Graph = raw;
let islands: Island[] = [];
/** Changes when the islands are laid out anew, so their elements are made again. */
let islandKey = '';
let hovered = '';
let hoveredNode = '';
let dragged = '';
let dragMoved = false;
let stream: EventSource | undefined;
let fa2: FA2Layout | undefined;
let chart: uPlot | undefined;
let sortKey: keyof GraphEdge = 'bytesTotal';
let sortDown = true;
let draws = 0;
let firstDrawMs = 0;

const graph = new Graphology({ type: 'directed', multi: false, allowSelfLoops: true });
const renderer = new Sigma(graph, $('graph'), {
  defaultEdgeType: 'arrow',
  labelRenderedSizeThreshold: 8,
  zIndex: true,
  nodeReducer: (node, data) => {
    const focus = state.entity;
    if (!focus || node === focus || graph.areNeighbors(node, focus)) return data;
    return { ...data, color: '#d8dde4', label: '' };
  },
  edgeReducer: (edge, data) => {
    if (edge === selected() || edge === hovered)
      return { ...data, color: '#111111', size: (data.size ?? 1) + 2, zIndex: 1 };
    const focus = state.entity;
    if (focus && !graph.hasExtremity(edge, focus)) return { ...data, hidden: true };
    return data;
  },
});
renderer.on('afterRender', () => {
  draws++;
  // Drawn means on screen: two animation frames after the first render of a non-empty graph.
  if (firstDrawMs === 0 && graph.order > 0) {
    firstDrawMs = -1;
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        firstDrawMs = performance.now();
      }),
    );
  }
  drawIslands();
});

// ---- state and controls ----

const selectedEdge = { id: '' };
const selected = () => selectedEdge.id;

function setState(patch: Partial<ViewState>, reload = true): void {
  state = { ...state, ...patch };
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
        relayout();
      } else setState({ [k]: value } as Partial<ViewState>);
    });
  $('trace').addEventListener('change', (ev) =>
    setState({ trace: (ev.target as HTMLSelectElement).value, entity: '' }),
  );
  $('live').addEventListener('change', (ev) =>
    setState({ live: (ev.target as HTMLInputElement).checked }),
  );
  $('relax').addEventListener('click', relax);
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
    a.href = snapshot().toDataURL('image/png');
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

/** The drawn layers on one canvas: for PNG export and the blank-screen check. */
function snapshot(): HTMLCanvasElement {
  renderer.refresh();
  const { width, height } = renderer.getDimensions();
  const ratio = window.devicePixelRatio || 1;
  const out = document.createElement('canvas');
  out.width = width * ratio;
  out.height = height * ratio;
  const ctx = out.getContext('2d') as CanvasRenderingContext2D;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  for (const c of Object.values(renderer.getCanvases()))
    ctx.drawImage(c, 0, 0, out.width, out.height);
  return out;
}

function showError(text: string): void {
  const el = $('error');
  el.textContent = text;
  el.hidden = text === '';
}

// ---- data ----

async function loadTraces(): Promise<void> {
  const res = await fetch('api/v1/traces');
  const { traces } = (await res.json()) as {
    traces: { trace: string; state: string; edges: number }[];
  };
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

const tracePath = () => `api/v1/traces/${state.trace.split('/').map(encodeURIComponent).join('/')}`;

async function load(): Promise<void> {
  stream?.close();
  stream = undefined;
  if (!state.trace) return;
  const res = await fetch(`${tracePath()}/graph?${apiQuery(state)}`);
  const body = await res.json();
  if (!res.ok) {
    showError(`${res.status}: ${body.error}`);
    return;
  }
  showError('');
  raw = body as Graph;
  performance.mark('netgraph:fetched');
  sync(true);
  performance.mark('netgraph:synced');
  void loadSeries();
  if (state.live) follow();
}

function follow(): void {
  const es = new EventSource(`${tracePath()}/stream?${apiQuery(state)}`);
  stream = es;
  es.addEventListener('graph', (ev) => {
    raw = JSON.parse((ev as MessageEvent).data) as Graph;
    sync(false);
  });
  es.addEventListener('update', (ev) => {
    const u = JSON.parse((ev as MessageEvent).data);
    const entities = new Map(raw.entities.map((e) => [e.id, e]));
    const edges = new Map(raw.edges.map((e) => [e.id, e]));
    for (const id of u.removedEdges) edges.delete(id);
    for (const id of u.removedEntities) entities.delete(id);
    for (const e of u.entities) entities.set(e.id, e);
    for (const e of u.edges) edges.set(e.id, e);
    raw = { entities: [...entities.values()], edges: [...edges.values()] };
    scheduleSync();
    scheduleSeries();
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
    graph.size > 2000 ? 5000 : 0,
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

// ---- the graph ----

const shortName = (id: string, kind: string) => {
  const parts = id.split('/');
  const name = parts[parts.length - 1] ?? id;
  return kind === 'service'
    ? `svc/${name}`
    : kind === 'namespace' || kind === 'external' || kind === 'node'
      ? id
      : name;
};

const nodeBase = (n: number) => (n <= 50 ? 9 : n <= 500 ? 5 : 2);

/** Makes the drawn graph what `raw` says; existing entities keep their place unless `relayoutAll`. */
function sync(relayoutAll: boolean): void {
  shown = collapse(raw, new Set(list(state.collapsed)));
  const ids = new Set(shown.entities.map((e) => e.id));
  const edgeIds = new Set(shown.edges.map((e) => e.id));
  for (const e of graph.edges()) if (!edgeIds.has(e)) graph.dropEdge(e);
  for (const n of graph.nodes()) if (!ids.has(n)) graph.dropNode(n);
  if (hovered && !graph.hasEdge(hovered)) {
    hovered = '';
    $('hovercard').hidden = true;
  }
  const fresh = shown.entities.some((e) => !graph.hasNode(e.id));
  let positions: Map<string, Point> | undefined;
  if (relayoutAll || (fresh && graph.order === 0)) positions = layout();
  // Few entities are drawn big enough to carry their labels; thousands small.
  const base = nodeBase(shown.entities.length);
  // Traffic inside an entity (a namespace talking to itself) cannot be drawn as an edge: it is in the label.
  const inside = new Map(
    shown.edges.filter((e) => e.source === e.target).map((e) => [e.source, e.bytesTotal]),
  );
  for (const e of shown.entities) {
    const bytes = e.bytesSent + e.bytesReceived;
    const own = inside.get(e.id);
    const attrs = {
      label: `${shortName(e.id, e.kind)}${own === undefined ? '' : ` ↻ ${formatBytes(own)}`}`,
      size: Math.min(base + 5, base + Math.log10(1 + bytes) / 2),
      color: KIND_COLORS[e.kind] ?? '#555555',
      kind: e.kind,
      namespace: e.namespace,
    };
    if (graph.hasNode(e.id)) {
      graph.mergeNodeAttributes(e.id, attrs);
      const p = positions?.get(e.id);
      if (p) graph.mergeNodeAttributes(e.id, p);
    } else graph.addNode(e.id, { ...attrs, ...(positions?.get(e.id) ?? placeNear(e.namespace)) });
  }
  for (const e of shown.edges) {
    const attrs = {
      size: edgeWidth(e.bytesTotal),
      color: edgeColor(e.bytesTotal),
      type: e.source === e.target ? 'line' : 'arrow',
    };
    if (graph.hasEdge(e.id)) graph.mergeEdgeAttributes(e.id, attrs);
    else graph.addDirectedEdgeWithKey(e.id, e.source, e.target, attrs);
  }
  renderTable();
  renderLegend();
  renderEntity();
  $('summary').textContent = `${shown.entities.length} entities, ${shown.edges.length} edges`;
}

function layout(): Map<string, Point> {
  if (state.layout === 'hierarchy') {
    islands = [];
    return hierarchyLayout(shown);
  }
  const l = islandLayout(shown.entities);
  islands = l.islands;
  islandKey = `${Date.now()}`;
  return l.positions;
}

/** A new entity goes to its namespace's island (or anywhere in view when it has none). */
function placeNear(namespace: string): Point {
  const island = islands.find((i) => i.namespace === namespace);
  const a = Math.random() * 2 * Math.PI;
  if (island)
    return {
      x: island.x + island.r * 0.9 * Math.cos(a),
      y: island.y + island.r * 0.9 * Math.sin(a),
    };
  return { x: Math.cos(a) * 50, y: Math.sin(a) * 50 };
}

function relayout(): void {
  stopRelax();
  const positions = layout();
  for (const [id, p] of positions) if (graph.hasNode(id)) graph.mergeNodeAttributes(id, p);
  renderer.setCustomBBox(null);
  renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
  renderer.refresh();
}

/** ForceAtlas2 in a worker for a few seconds, from the current positions; islands are redrawn after. */
function relax(): void {
  stopRelax();
  islands = [];
  fa2 = new FA2Layout(graph, {
    settings: { barnesHutOptimize: graph.order > 500, gravity: 1, scalingRatio: 10, slowDown: 5 },
  });
  fa2.start();
  setTimeout(stopRelax, 4000);
}

function stopRelax(): void {
  fa2?.kill();
  fa2 = undefined;
}

/** The islands' outlines and labels: made once per layout, moved with the camera after each render. */
function drawIslands(): void {
  const layer = $('islands');
  const show = state.layout === 'islands' && islands.length <= 300 ? islands : [];
  if (layer.childElementCount !== show.length || layer.dataset.key !== islandKey) {
    layer.dataset.key = islandKey;
    const collapsed = new Set(list(state.collapsed));
    layer.replaceChildren(
      ...show.map((i) => {
        const el = document.createElement('div');
        el.className = 'island';
        const label = document.createElement('button');
        label.className = 'island-label';
        label.textContent = `${i.namespace || 'outside the cluster'}${collapsed.has(i.namespace) ? ' (+)' : ''}`;
        label.title = 'collapse or expand this namespace';
        if (i.namespace) label.addEventListener('click', () => toggleCollapse(i.namespace));
        el.append(label);
        return el;
      }),
    );
  }
  show.forEach((i, n) => {
    const el = layer.children[n] as HTMLElement;
    const c = renderer.graphToViewport({ x: i.x, y: i.y });
    const edge = renderer.graphToViewport({ x: i.x + i.r, y: i.y });
    const r = Math.hypot(edge.x - c.x, edge.y - c.y);
    el.style.transform = `translate(${c.x - r}px, ${c.y - r}px)`;
    el.style.width = el.style.height = `${2 * r}px`;
  });
}

function toggleCollapse(namespace: string): void {
  const set = new Set(list(state.collapsed));
  if (set.has(namespace)) set.delete(namespace);
  else set.add(namespace);
  setState({ collapsed: [...set].join(',') }, false);
  graph.clear();
  sync(true);
}

function renderLegend(): void {
  const namespaces = [...new Set(raw.entities.map((e) => e.namespace).filter(Boolean))].sort();
  const collapsed = new Set(list(state.collapsed));
  $('namespace-list').replaceChildren(
    ...namespaces.map((ns) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = collapsed.has(ns);
      box.dataset.namespace = ns;
      box.addEventListener('change', () => toggleCollapse(ns));
      label.append(box, ` ${ns}`);
      return label;
    }),
  );
}

// ---- hover, click, drag ----

/**
 * The edge under the mouse, found on the CPU: sigma's own edge picking draws every edge a
 * second time at each render, which costs a third of a frame in software WebGL.
 */
function edgeAt(x: number, y: number): string {
  const p = renderer.viewportToGraph({ x, y });
  const q = renderer.viewportToGraph({ x: x + 4, y });
  let best = Math.hypot(q.x - p.x, q.y - p.y);
  let found = '';
  graph.forEachEdge((id, attrs, source, target, s, t) => {
    if (
      source === target ||
      attrs.hidden ||
      (state.entity && source !== state.entity && target !== state.entity)
    )
      return;
    const dx = t.x - s.x;
    const dy = t.y - s.y;
    const len = dx * dx + dy * dy;
    const k = len === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - s.x) * dx + (p.y - s.y) * dy) / len));
    const d = Math.hypot(p.x - (s.x + k * dx), p.y - (s.y + k * dy));
    if (d < best) {
      best = d;
      found = id;
    }
  });
  return found;
}

renderer.getMouseCaptor().on('mousemove', (event) => {
  if (pan || dragged) return;
  const edge = hoveredNode ? '' : edgeAt(event.x, event.y);
  if (edge === hovered) return;
  const was = hovered;
  hovered = edge;
  const card = $('hovercard');
  const e = shown.edges.find((x) => x.id === edge);
  card.hidden = e === undefined;
  if (e) {
    card.replaceChildren(
      line('edge', `${e.source} → ${e.target}`),
      line('bytes_total', e.bytesTotal),
      line('bytes_sent', e.bytesSent),
      line('bytes_recv', e.bytesReceived),
      line('connections', e.connections),
      line('ports', e.ports.join(' ')),
    );
    card.dataset.edge = edge;
    card.style.left = `${event.x + 14}px`;
    card.style.top = `${event.y + 14}px`;
  }
  redrawEdges([was, edge]);
});
renderer.on('enterNode', ({ node }) => {
  hoveredNode = node;
});
renderer.on('leaveNode', () => {
  hoveredNode = '';
});

/** Applies the reducers again to these edges only (hover, selection): cheap on big graphs. */
function redrawEdges(ids: string[]): void {
  const edges = ids.filter((id) => id && graph.hasEdge(id));
  if (edges.length > 0) renderer.refresh({ partialGraph: { edges }, skipIndexation: true });
}

function line(field: string, value: string | number): HTMLElement {
  const row = document.createElement('div');
  row.dataset.field = field;
  const k = document.createElement('b');
  k.textContent = `${field} `;
  const v = document.createElement('span');
  v.dataset.value = String(value);
  v.textContent =
    typeof value === 'number' && field !== 'connections'
      ? `${formatBytes(value)} (${value.toLocaleString('en')})`
      : String(value);
  row.append(k, v);
  return row;
}

renderer.on('clickNode', ({ node }) => {
  if (dragMoved) return;
  setState({ entity: node }, false);
  refreshFocus();
});
renderer.on('clickStage', () => {
  if (panMoved || (!state.entity && !selected())) return;
  selectedEdge.id = '';
  setState({ entity: '' }, false);
  refreshFocus();
});
renderer.on('downNode', ({ node }) => {
  dragged = node;
  dragMoved = false;
  if (!renderer.getCustomBBox()) renderer.setCustomBBox(renderer.getBBox());
});

/**
 * Panning moves the drawn picture (a CSS transform: no redraw) and redraws once, at the
 * new camera position, when the button is released: software WebGL (no GPU) cannot
 * redraw thousands of edges at every mouse move.
 */
let pan: { x: number; y: number; dx: number; dy: number } | undefined;
let panMoved = false;
// Sigma's own listener ran first: on a node, downNode has set `dragged` (on an edge or the stage, pan).
renderer.getMouseCaptor().on('mousedown', (e) => {
  if (dragged) return;
  const ev = e.original as MouseEvent;
  pan = { x: ev.clientX, y: ev.clientY, dx: 0, dy: 0 };
  panMoved = false;
});
renderer.getMouseCaptor().on('mousemovebody', (e) => {
  if (dragged) {
    dragMoved = true;
    const p = renderer.viewportToGraph(e);
    graph.mergeNodeAttributes(dragged, { x: p.x, y: p.y });
  } else if (pan) {
    const ev = e.original as MouseEvent;
    pan.dx = ev.clientX - pan.x;
    pan.dy = ev.clientY - pan.y;
    panMoved = panMoved || pan.dx !== 0 || pan.dy !== 0;
    $('pan').style.transform = `translate(${pan.dx}px, ${pan.dy}px)`;
  } else return;
  e.preventSigmaDefault();
  e.original.preventDefault();
  e.original.stopPropagation();
});
renderer.getMouseCaptor().on('mouseup', () => {
  dragged = '';
  const p = pan;
  pan = undefined;
  if (!p || (p.dx === 0 && p.dy === 0)) return;
  const box = $('graph').getBoundingClientRect();
  const from = renderer.viewportToFramedGraph({ x: p.x - box.left, y: p.y - box.top });
  const to = renderer.viewportToFramedGraph({ x: p.x - box.left + p.dx, y: p.y - box.top + p.dy });
  const cam = renderer.getCamera();
  const c = cam.getState();
  // The moved picture stays until the redraw at the new position is on screen.
  renderer.once('afterRender', () => {
    $('pan').style.transform = '';
  });
  cam.setState({ ...c, x: c.x + from.x - to.x, y: c.y + from.y - to.y });
});

function refreshFocus(): void {
  renderEntity();
  renderTable();
  renderer.refresh({ skipIndexation: true });
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
    `sent ${formatBytes(e.bytesSent)}, received ${formatBytes(e.bytesReceived)}, ${graph.degree(e.id)} edges`;
}

async function loadSeries(): Promise<void> {
  const top = [...shown.entities].sort(
    (a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived),
  )[0];
  const entity = state.entity || top?.id;
  if (!entity || !state.trace || entity.startsWith('namespace/')) return;
  const res = await fetch(
    `${tracePath()}/series?${apiQuery(state)}&entity=${encodeURIComponent(entity)}`,
  );
  if (!res.ok) return;
  const s = (await res.json()) as { times: number[]; sent: number[]; received: number[] };
  $('series-title').textContent = `${entity}: bytes per 10 s`;
  const data: uPlot.AlignedData = [s.times, s.sent, s.received];
  const el = $('series');
  if (chart) {
    chart.setData(data);
    return;
  }
  chart = new uPlot(
    {
      width: el.clientWidth || 800,
      height: 180,
      series: [
        {},
        {
          label: 'sent',
          stroke: '#3b7dd8',
          width: 2,
          value: (_u, v) => (v == null ? '' : formatBytes(v)),
        },
        {
          label: 'received',
          stroke: '#2a9d6a',
          width: 2,
          value: (_u, v) => (v == null ? '' : formatBytes(v)),
        },
      ],
      axes: [{}, { values: (_u, vals) => vals.map((v) => formatBytes(v)), size: 70 }],
    },
    data,
    el,
  );
}

// ---- the table ----

const COLUMNS: [keyof GraphEdge, string][] = [
  ['source', 'requester'],
  ['target', 'responder'],
  ['ports', 'ports'],
  ['connections', 'connections'],
  ['bytesSent', 'bytes_sent'],
  ['bytesReceived', 'bytes_recv'],
  ['bytesTotal', 'bytes_total'],
];
const MAX_ROWS = 500;

function renderTable(): void {
  const head = COLUMNS.map(([key, title]) => {
    const th = document.createElement('th');
    th.textContent = `${title}${key === sortKey ? (sortDown ? ' ▼' : ' ▲') : ''}`;
    th.dataset.key = key;
    th.addEventListener('click', () => {
      sortDown = key === sortKey ? !sortDown : true;
      sortKey = key;
      renderTable();
    });
    return th;
  });
  const focus = state.entity;
  const rows = shown.edges
    .filter((e) => !focus || e.source === focus || e.target === focus)
    .sort((a, b) => {
      const x = a[sortKey];
      const y = b[sortKey];
      const c =
        typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sortDown ? -c : c;
    });
  const body = rows.slice(0, MAX_ROWS).map((e) => {
    const tr = document.createElement('tr');
    tr.dataset.edge = e.id;
    if (e.id === selected()) tr.className = 'selected';
    for (const [key] of COLUMNS) {
      const td = document.createElement('td');
      const v = e[key];
      td.textContent = Array.isArray(v)
        ? v.join(' ')
        : typeof v === 'number' && key !== 'connections'
          ? formatBytes(v)
          : String(v);
      if (typeof v === 'number') td.dataset.value = String(v);
      tr.append(td);
    }
    tr.addEventListener('click', () => {
      const was = selectedEdge.id;
      selectedEdge.id = was === e.id ? '' : e.id;
      renderTable();
      redrawEdges([was, e.id]);
    });
    return tr;
  });
  const headRow = document.createElement('tr');
  headRow.append(...head);
  $('table').replaceChildren(headRow, ...body);
  $('table-note').textContent =
    rows.length > MAX_ROWS ? `first ${MAX_ROWS} of ${rows.length} rows, by the sorted column` : '';
}

// ---- for tests and the benchmark: what a person sees, read from the page ----

Object.assign(window, {
  netgraph: {
    /** Viewport position of an edge's middle, to hover it. */
    edgeMiddle(id: string): Point | undefined {
      if (!graph.hasEdge(id)) return undefined;
      const a = renderer.getNodeDisplayData(graph.source(id));
      const b = renderer.getNodeDisplayData(graph.target(id));
      if (!a || !b) return undefined;
      const p = renderer.framedGraphToViewport({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
      const box = $('graph').getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    },
    nodePosition(id: string): Point | undefined {
      const d = renderer.getNodeDisplayData(id);
      if (!d) return undefined;
      const p = renderer.framedGraphToViewport(d);
      const box = $('graph').getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    },
    edgeColor: (id: string) => renderer.getEdgeDisplayData(id)?.color,
    shown: () => shown,
    /** Pixels of the drawn graph that are not background. */
    painted(): number {
      const c = snapshot();
      const px = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(
        0,
        0,
        c.width,
        c.height,
      ).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4)
        if (px[i] !== 255 || px[i + 1] !== 255 || px[i + 2] !== 255) n++;
      return n;
    },
    draws: () => draws,
    firstDrawMs: () => firstDrawMs,
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
