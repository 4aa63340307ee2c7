// The graph drawn with WebGL (sigma): entities placed by one of the two layouts, the
// namespaces' islands outlined under them, an edge's numbers on hover, the open
// entity's neighbourhood only, nodes dragged, the picture panned. Past a budget of edges
// only the heaviest are drawn strong, the others faint (scale.ts), until an end of theirs is
// hovered or opened.
import Graphology from 'graphology';
import FA2Layout from 'graphology-layout-forceatlas2/worker';
import Sigma from 'sigma';
import { formatBytes } from './format.js';
import type { Shown, ShownGraph } from './groups.js';
import { hierarchyLayout, type Island, islandLayout, type Point } from './layout.js';
import { EDGE_PROGRAMS, NODE_PROGRAMS } from './programs.js';
import {
  type EdgeSplit,
  edgeColor,
  edgeWidth,
  FAINT_ALPHA,
  FAINT_WIDTH,
  KIND_COLORS,
  splitEdges,
} from './scale.js';

export interface GraphViewOptions {
  /** The sigma container, the layer panned by CSS, the islands' layer, the hover card. */
  container: HTMLElement;
  pan: HTMLElement;
  islands: HTMLElement;
  hovercard: HTMLElement;
  /** An entity clicked (its id), or the empty stage (''). */
  onEntity(id: string): void;
  /** An open namespace's island name clicked (to close it). */
  onNamespace(namespace: string): void;
}

/** What the view shows besides the graph: the open entity, the selected edge, the layout. */
export interface ViewFocus {
  entity: string;
  edge: string;
  layout: 'islands' | 'hierarchy';
  /** Namespaces drawn as one node: no island of their own. */
  closed: ReadonlySet<string>;
}

/**
 * A label says what an entity is without its colour: `svc/` a Service, `deployment/...` an
 * owner, `ns/` a namespace; `[+] name (n)` a closed namespace of n, `[+] deployment/name (n)`
 * a closed owner, `[+] *.example.com (n)` n outside names of one domain (a click opens each).
 */
export function labelOf(e: Shown): string {
  const parts = e.id.split('/');
  const name = parts[parts.length - 1] ?? e.id;
  const text =
    e.kind === 'service'
      ? `svc/${name}`
      : e.kind === 'owner'
        ? parts.slice(1).join('/')
        : e.kind === 'namespace'
          ? e.members === undefined
            ? `ns/${e.id}`
            : e.id.slice(10)
          : e.kind === 'external' || e.kind === 'node'
            ? e.id.replace(/^domain\//, '')
            : name;
  return e.members === undefined ? text : `[+] ${text} (${e.members})`;
}

type Box = { x0: number; y0: number; x1: number; y1: number };
type LabelData = {
  key?: string;
  x: number;
  y: number;
  size: number;
  label: string | null;
  forceLabel?: boolean;
};
/** The box of a label of width `w` whose baseline starts at (x, y), its halo included. */
const labelBox = (x: number, y: number, w: number, size: number): Box => ({
  x0: x - 2,
  y0: y - size,
  x1: x + w + 2,
  y1: y + 3,
});

const nodeBase = (n: number) => (n <= 50 ? 9 : n <= 500 ? 5 : 2);

export class GraphView {
  readonly graph = new Graphology({ type: 'directed', multi: false, allowSelfLoops: true });
  readonly renderer: Sigma;
  private shown: ShownGraph = { entities: [], edges: [] };
  /** Which of the shown edges are drawn strong (the others faint). */
  split: EdgeSplit = { strong: new Set(), faint: 0, inside: 0 };
  private islands: Island[] = [];
  /** Changes when the islands are laid out anew, so their elements are made again. */
  private islandKey = '';
  private hovered = '';
  private hoveredNode = '';
  private dragged = '';
  private dragMoved = false;
  private panning: { x: number; y: number; dx: number; dy: number } | undefined;
  private panMoved = false;
  private fa2: FA2Layout | undefined;
  /** The labels drawn in this frame, so that no label is drawn over another. */
  private labelBoxes: Box[] = [];
  /**
   * The open entity's disc (ring included) and label, this frame; undefined until its first
   * label. The lit node is drawn over every label, so none is put under it.
   */
  private reserved: Box[] | undefined;
  /** The open entity when the graph was last indexed (sigma's label grid made). */
  private indexedFocus = '';
  draws = 0;
  firstDrawMs = 0;

  constructor(
    private readonly o: GraphViewOptions,
    readonly focus: ViewFocus,
  ) {
    const graph = this.graph;
    this.renderer = new Sigma(graph, o.container, {
      defaultEdgeType: 'arrow',
      // Sigma's programs without instancing, which costs a second a draw without a GPU.
      nodeProgramClasses: NODE_PROGRAMS,
      edgeProgramClasses: EDGE_PROGRAMS,
      labelRenderedSizeThreshold: 8,
      labelSize: 12,
      labelDensity: 2,
      labelGridCellSize: 120,
      // Room at the edges for the names drawn under the outermost nodes (sigma's is 30 px).
      stagePadding: 50,
      defaultDrawNodeLabel: (ctx, data, settings) => this.drawLabel(ctx, data, settings),
      // A hovered or highlighted node gets a ring; its label stays the one drawn under it.
      defaultDrawNodeHover: (ctx, data) => {
        ctx.beginPath();
        ctx.arc(data.x, data.y, data.size + 3, 0, 2 * Math.PI);
        ctx.lineWidth = 3;
        ctx.strokeStyle = '#111111';
        ctx.stroke();
      },
      zIndex: true,
      nodeReducer: (node, data) => {
        const f = this.focus.entity;
        if (!f || !graph.hasNode(f)) return data;
        if (node === f) return { ...data, highlighted: true, forceLabel: true, zIndex: 2 };
        if (graph.areNeighbors(node, f)) return { ...data, zIndex: 1 };
        // No label (null, not ''): sigma's label grid, which keeps the biggest few labels of
        // each cell, then holds the lit neighbours only.
        return { ...data, color: '#d8dde4', label: null };
      },
      edgeReducer: (edge, data) => {
        if (edge === this.focus.edge || edge === this.hovered)
          return { ...data, color: '#111111', size: (data.size ?? 1) + 2, zIndex: 2 };
        const f = this.focus.entity;
        // The open entity's edges are all drawn strong, the others not at all.
        if (f && graph.hasNode(f))
          return graph.hasExtremity(edge, f) ? data : { ...data, hidden: true };
        // A faint edge is drawn strong while the mouse is on one of its ends.
        const n = this.hoveredNode;
        if (data.faint && !(n && graph.hasNode(n) && graph.hasExtremity(edge, n)))
          return { ...data, size: FAINT_WIDTH, color: data.faintColor };
        return data;
      },
    });
    this.renderer.on('beforeProcess', () => {
      this.indexedFocus = this.focus.entity;
    });
    this.renderer.on('beforeRender', () => {
      this.labelBoxes = [];
      this.reserved = undefined;
    });
    this.renderer.on('afterRender', () => {
      this.draws++;
      // Drawn means on screen: two animation frames after the first render of a non-empty graph.
      if (this.firstDrawMs === 0 && graph.order > 0) {
        this.firstDrawMs = -1;
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            this.firstDrawMs = performance.now();
          }),
        );
      }
      this.drawIslands();
    });
    this.bindPointer();
  }

  /** Makes the drawn graph `shown`; existing entities keep their place unless `relayoutAll`. */
  sync(shown: ShownGraph, relayoutAll: boolean): void {
    const graph = this.graph;
    this.shown = shown;
    const ids = new Set(shown.entities.map((e) => e.id));
    const edgeIds = new Set(shown.edges.map((e) => e.id));
    for (const e of graph.edges()) if (!edgeIds.has(e)) graph.dropEdge(e);
    for (const n of graph.nodes()) if (!ids.has(n)) graph.dropNode(n);
    if (this.hovered && !graph.hasEdge(this.hovered)) {
      this.hovered = '';
      this.o.hovercard.hidden = true;
    }
    const fresh = shown.entities.some((e) => !graph.hasNode(e.id));
    let positions: Map<string, Point> | undefined;
    if (relayoutAll || (fresh && graph.order === 0)) positions = this.layout();
    // Few entities are drawn big enough to carry their labels; thousands small.
    const base = nodeBase(shown.entities.length);
    // Traffic inside an entity (a namespace talking to itself) cannot be drawn as an edge: it is in the label.
    const inside = new Map(
      shown.edges.filter((e) => e.source === e.target).map((e) => [e.source, e.bytesTotal]),
    );
    for (const e of shown.entities) {
      const bytes = e.bytesSent + e.bytesReceived;
      const own = inside.get(e.id);
      // A group is drawn bigger with its members, up to twice the size of an entity.
      const grown = e.members === undefined ? 0 : Math.min(base, Math.log2(e.members));
      const attrs = {
        label: `${labelOf(e)}${own === undefined || e.members !== undefined ? '' : ` ↻ ${formatBytes(own)}`}`,
        size: Math.min(base + 5, base + Math.log10(1 + bytes) / 2) + grown,
        color: KIND_COLORS[e.kind] ?? '#555555',
        kind: e.kind,
        namespace: e.namespace,
        owner: e.owner ?? '',
      };
      if (graph.hasNode(e.id)) {
        graph.mergeNodeAttributes(e.id, attrs);
        const p = positions?.get(e.id);
        if (p) graph.mergeNodeAttributes(e.id, p);
      } else
        graph.addNode(e.id, { ...attrs, ...(positions?.get(e.id) ?? this.placeNear(e.namespace)) });
    }
    // Past the budget the heaviest edges are drawn by the scales, over the others drawn
    // faint (the reducer makes them so: an end hovered or opened draws them strong again).
    this.split = splitEdges(shown.edges);
    const split = this.split.faint > 0;
    for (const e of shown.edges) {
      const color = edgeColor(e.bytesTotal);
      const faint = split && !this.split.strong.has(e.id) && e.source !== e.target;
      const attrs = {
        size: edgeWidth(e.bytesTotal),
        color,
        faint,
        faintColor: faint ? withAlpha(color, FAINT_ALPHA) : '',
        // Strong edges over the faint ones (sigma sorts by zIndex only when they differ).
        zIndex: split && !faint ? 1 : 0,
        type: e.source === e.target ? 'line' : 'arrow',
      };
      if (graph.hasEdge(e.id)) graph.mergeEdgeAttributes(e.id, attrs);
      else graph.addDirectedEdgeWithKey(e.id, e.source, e.target, attrs);
    }
    // Sigma reduces a node when it is added, before its edges are: with an entity open, its
    // neighbours would stay greyed. One full pass on the next frame reduces them again.
    if (this.focus.entity) this.renderer.scheduleRefresh();
  }

  /** Everything again from nothing (after a namespace is collapsed or expanded). */
  rebuild(shown: ShownGraph): void {
    this.graph.clear();
    this.sync(shown, true);
  }

  private layout(): Map<string, Point> {
    if (this.focus.layout === 'hierarchy') {
      this.islands = [];
      return hierarchyLayout(this.shown);
    }
    const { width, height } = this.renderer.getDimensions();
    const l = islandLayout(this.shown.entities, height > 0 ? width / height : 1);
    this.islands = l.islands;
    this.islandKey = `${Date.now()}`;
    return l.positions;
  }

  /** A new entity goes to its namespace's island (or anywhere in view when it has none). */
  private placeNear(namespace: string): Point {
    const island = this.islands.find((i) => i.namespace === namespace);
    const a = Math.random() * 2 * Math.PI;
    if (island)
      return {
        x: island.x + island.r * 0.9 * Math.cos(a),
        y: island.y + island.r * 0.9 * Math.sin(a),
      };
    return { x: Math.cos(a) * 50, y: Math.sin(a) * 50 };
  }

  relayout(): void {
    this.stopRelax();
    const positions = this.layout();
    for (const [id, p] of positions)
      if (this.graph.hasNode(id)) this.graph.mergeNodeAttributes(id, p);
    this.renderer.setCustomBBox(null);
    this.renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    this.renderer.refresh();
  }

  /** ForceAtlas2 in a worker for a few seconds, from the current positions; islands are redrawn after. */
  relax(): void {
    this.stopRelax();
    this.islands = [];
    this.fa2 = new FA2Layout(this.graph, {
      settings: {
        barnesHutOptimize: this.graph.order > 500,
        gravity: 1,
        scalingRatio: 10,
        slowDown: 5,
      },
    });
    this.fa2.start();
    setTimeout(() => this.stopRelax(), 4000);
  }

  private stopRelax(): void {
    this.fa2?.kill();
    this.fa2 = undefined;
  }

  /** The islands' outlines and labels: made once per layout, moved with the camera after each render. */
  private drawIslands(): void {
    const layer = this.o.islands;
    // A closed namespace is its node: no outline. Open ones are outlined, named, closable.
    const show =
      this.focus.layout === 'islands' && this.islands.length <= 300
        ? this.islands.filter((i) => !this.focus.closed.has(i.namespace))
        : [];
    if (layer.childElementCount !== show.length || layer.dataset.key !== this.islandKey) {
      layer.dataset.key = this.islandKey;
      layer.replaceChildren(
        ...show.map((i) => {
          const el = document.createElement('div');
          el.className = 'island';
          const label = document.createElement('button');
          label.className = 'island-label';
          label.textContent = i.namespace ? `[−] ns/${i.namespace}` : 'outside the cluster';
          if (i.namespace) {
            label.title = `close ${i.namespace}: draw it as one node`;
            label.addEventListener('click', () => this.o.onNamespace(i.namespace));
          } else label.disabled = true;
          el.append(label);
          return el;
        }),
      );
    }
    show.forEach((i, n) => {
      const el = layer.children[n] as HTMLElement;
      const c = this.renderer.graphToViewport({ x: i.x, y: i.y });
      const edge = this.renderer.graphToViewport({ x: i.x + i.r, y: i.y });
      const r = Math.hypot(edge.x - c.x, edge.y - c.y);
      el.style.transform = `translate(${c.x - r}px, ${c.y - r}px)`;
      el.style.width = el.style.height = `${2 * r}px`;
    });
  }

  /**
   * A label centred under its node on a white halo, so edges under it do not hide it; left
   * out when it would cover a label drawn before it (sigma draws the biggest nodes' first).
   * The open entity's node and label come first; a label that would lie under them goes
   * above its own node instead, or is left out.
   */
  private drawLabel(
    ctx: CanvasRenderingContext2D,
    data: LabelData,
    settings: { labelSize: number; labelWeight: string; labelFont: string },
  ): void {
    if (!data.label) return;
    const size = settings.labelSize;
    ctx.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
    this.reserved ??= this.focusBoxes(ctx, size);
    const w = ctx.measureText(data.label).width;
    const x = data.x - w / 2;
    let box = labelBox(x, data.y + data.size + size + 1, w, size);
    const covered = (b: Box) => (a: Box) =>
      a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
    if (data.key !== this.focus.entity) {
      if (this.reserved.some(covered(box))) box = labelBox(x, data.y - data.size - 5, w, size);
      if (this.reserved.some(covered(box))) return;
      if (!data.forceLabel && this.labelBoxes.some(covered(box))) return;
    }
    this.labelBoxes.push(box);
    ctx.lineJoin = 'round';
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ffffff';
    ctx.strokeText(data.label, x, box.y1 - 3);
    ctx.fillStyle = '#222222';
    ctx.fillText(data.label, x, box.y1 - 3);
  }

  /** The open entity's disc, ring included, and its label's box, on screen now. */
  private focusBoxes(ctx: CanvasRenderingContext2D, size: number): Box[] {
    const f = this.focus.entity;
    const d = f && this.graph.hasNode(f) ? this.renderer.getNodeDisplayData(f) : undefined;
    if (!d || d.hidden) return [];
    const { x, y } = this.renderer.framedGraphToViewport(d);
    const r = this.renderer.scaleSize(d.size);
    const disc = { x0: x - r - 5, y0: y - r - 5, x1: x + r + 5, y1: y + r + 5 };
    if (!d.label) return [disc];
    const w = ctx.measureText(d.label).width;
    return [disc, labelBox(x - w / 2, y + r + size + 1, w, size)];
  }

  /** Centres the view on an entity, zoomed in so it and its neighbours stand out. */
  centre(id: string): void {
    // Drawn first, so the node's place is that of the graph as it is now.
    this.renderer.refresh();
    const d = this.renderer.getNodeDisplayData(id);
    if (!d) return;
    const cam = this.renderer.getCamera();
    cam.setState({
      ...cam.getState(),
      x: d.x,
      y: d.y,
      ratio: Math.min(cam.getState().ratio, 0.35),
    });
  }

  /** Frames the nodes whose attributes `pick` takes (an opened group); all of them when none. */
  frame(pick: (attrs: { namespace?: string; owner?: string }) => boolean): void {
    this.renderer.refresh();
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    this.graph.forEachNode((id, attrs) => {
      if (!pick(attrs)) return;
      const d = this.renderer.getNodeDisplayData(id);
      if (!d) return;
      [x0, y0, x1, y1] = [
        Math.min(x0, d.x),
        Math.min(y0, d.y),
        Math.max(x1, d.x),
        Math.max(y1, d.y),
      ];
    });
    const cam = this.renderer.getCamera();
    if (x0 === Infinity) {
      cam.setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
      return;
    }
    // Framed coordinates span 0..1 over the whole graph: a ratio of the span shows it all.
    const ratio = Math.max(0.1, Math.min(1, 1.6 * Math.max(x1 - x0, y1 - y0)));
    cam.setState({ x: (x0 + x1) / 2, y: (y0 + y1) / 2, ratio, angle: 0 });
  }

  /** How many entities have their label drawn, of how many (the labels' legibility). */
  labelsShown(): { shown: number; of: number } {
    return { shown: this.labelBoxes.length, of: this.graph.order };
  }

  /**
   * The open entity or selected edge changed: reducers applied again; indexed again (the
   * label grid) only when the open entity changed, so that its neighbours get the labels.
   */
  refreshFocus(): void {
    this.renderer.refresh({ skipIndexation: this.indexedFocus === this.focus.entity });
  }

  /** Applies the reducers again to these edges only (hover, selection): cheap on big graphs. */
  redrawEdges(ids: string[]): void {
    const edges = ids.filter((id) => id && this.graph.hasEdge(id));
    if (edges.length > 0) this.renderer.refresh({ partialGraph: { edges }, skipIndexation: true });
  }

  /**
   * The edge under the mouse, found on the CPU: sigma's own edge picking draws every edge a
   * second time at each render, which costs a third of a frame in software WebGL.
   */
  private edgeAt(x: number, y: number): string {
    const p = this.renderer.viewportToGraph({ x, y });
    const q = this.renderer.viewportToGraph({ x: x + 4, y });
    let best = Math.hypot(q.x - p.x, q.y - p.y);
    let found = '';
    const f = this.focus.entity;
    this.graph.forEachEdge((id, attrs, source, target, s, t) => {
      if (source === target || attrs.hidden || (f && source !== f && target !== f)) return;
      const dx = t.x - s.x;
      const dy = t.y - s.y;
      const len = dx * dx + dy * dy;
      const k =
        len === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - s.x) * dx + (p.y - s.y) * dy) / len));
      const d = Math.hypot(p.x - (s.x + k * dx), p.y - (s.y + k * dy));
      if (d < best) {
        best = d;
        found = id;
      }
    });
    return found;
  }

  private showHover(edge: string, at: Point): void {
    const card = this.o.hovercard;
    const e = this.shown.edges.find((x) => x.id === edge);
    card.hidden = e === undefined;
    if (!e) return;
    card.replaceChildren(
      line('edge', `${e.source} → ${e.target}`),
      line('bytes_total', e.bytesTotal),
      line('bytes_sent', e.bytesSent),
      line('bytes_recv', e.bytesReceived),
      line('connections', e.connections),
      line('ports', e.ports.join(' ')),
    );
    card.dataset.edge = edge;
    card.style.left = `${at.x + 14}px`;
    card.style.top = `${at.y + 14}px`;
  }

  private bindPointer(): void {
    const renderer = this.renderer;
    const mouse = renderer.getMouseCaptor();
    mouse.on('mousemove', (event) => {
      if (this.panning || this.dragged) return;
      const edge = this.hoveredNode ? '' : this.edgeAt(event.x, event.y);
      if (edge === this.hovered) return;
      const was = this.hovered;
      this.hovered = edge;
      this.showHover(edge, event);
      this.redrawEdges([was, edge]);
    });
    // The hovered node's faint edges are drawn strong until the mouse leaves it.
    const lightEdges = (node: string) => {
      if (this.split.faint > 0 && !this.focus.entity && this.graph.hasNode(node))
        this.redrawEdges(this.graph.edges(node));
    };
    renderer.on('enterNode', ({ node }) => {
      this.hoveredNode = node;
      lightEdges(node);
    });
    renderer.on('leaveNode', ({ node }) => {
      this.hoveredNode = '';
      lightEdges(node);
    });
    renderer.on('clickNode', ({ node }) => {
      if (!this.dragMoved) this.o.onEntity(node);
    });
    renderer.on('clickStage', () => {
      if (this.panMoved || (!this.focus.entity && !this.focus.edge)) return;
      this.o.onEntity('');
    });
    renderer.on('downNode', ({ node }) => {
      this.dragged = node;
      this.dragMoved = false;
      if (!renderer.getCustomBBox()) renderer.setCustomBBox(renderer.getBBox());
    });
    // Panning moves the drawn picture (a CSS transform: no redraw) and redraws once, at the
    // new camera position, when the button is released: software WebGL (no GPU) cannot
    // redraw thousands of edges at every mouse move.
    // Sigma's own listener ran first: on a node, downNode has set `dragged` (on an edge or the stage, pan).
    mouse.on('mousedown', (e) => {
      if (this.dragged) return;
      const ev = e.original as MouseEvent;
      this.panning = { x: ev.clientX, y: ev.clientY, dx: 0, dy: 0 };
      this.panMoved = false;
    });
    mouse.on('mousemovebody', (e) => {
      if (this.dragged) {
        this.dragMoved = true;
        const p = renderer.viewportToGraph(e);
        this.graph.mergeNodeAttributes(this.dragged, { x: p.x, y: p.y });
      } else if (this.panning) {
        const ev = e.original as MouseEvent;
        const pan = this.panning;
        pan.dx = ev.clientX - pan.x;
        pan.dy = ev.clientY - pan.y;
        this.panMoved = this.panMoved || pan.dx !== 0 || pan.dy !== 0;
        this.o.pan.style.transform = `translate(${pan.dx}px, ${pan.dy}px)`;
      } else return;
      e.preventSigmaDefault();
      e.original.preventDefault();
      e.original.stopPropagation();
    });
    mouse.on('mouseup', () => {
      this.dragged = '';
      const p = this.panning;
      this.panning = undefined;
      if (!p || (p.dx === 0 && p.dy === 0)) return;
      const box = this.o.container.getBoundingClientRect();
      const from = renderer.viewportToFramedGraph({ x: p.x - box.left, y: p.y - box.top });
      const to = renderer.viewportToFramedGraph({
        x: p.x - box.left + p.dx,
        y: p.y - box.top + p.dy,
      });
      const cam = renderer.getCamera();
      const c = cam.getState();
      // The moved picture stays until the redraw at the new position is on screen.
      renderer.once('afterRender', () => {
        this.o.pan.style.transform = '';
      });
      cam.setState({ ...c, x: c.x + from.x - to.x, y: c.y + from.y - to.y });
    });
  }

  /** The drawn layers on one canvas: for PNG export and the blank-screen check. */
  snapshot(): HTMLCanvasElement {
    this.renderer.refresh();
    const { width, height } = this.renderer.getDimensions();
    const ratio = window.devicePixelRatio || 1;
    const out = document.createElement('canvas');
    out.width = width * ratio;
    out.height = height * ratio;
    const ctx = out.getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, out.width, out.height);
    for (const c of Object.values(this.renderer.getCanvases()))
      ctx.drawImage(c, 0, 0, out.width, out.height);
    return out;
  }

  /** Viewport position (page coordinates) of a point of the framed graph. */
  private toPage(p: Point): Point {
    const v = this.renderer.framedGraphToViewport(p);
    const box = this.o.container.getBoundingClientRect();
    return { x: box.left + v.x, y: box.top + v.y };
  }

  /** Viewport position of an edge's middle, to hover it. */
  edgeMiddle(id: string): Point | undefined {
    if (!this.graph.hasEdge(id)) return undefined;
    const a = this.renderer.getNodeDisplayData(this.graph.source(id));
    const b = this.renderer.getNodeDisplayData(this.graph.target(id));
    if (!a || !b) return undefined;
    return this.toPage({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
  }

  nodePosition(id: string): Point | undefined {
    const d = this.renderer.getNodeDisplayData(id);
    return d ? this.toPage(d) : undefined;
  }

  /** Pixels of the drawn graph that are not background. */
  painted(): number {
    const c = this.snapshot();
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
  }
}

/**
 * `#rrggbb` at an opacity, premultiplied: sigma blends with (ONE, ONE_MINUS_SRC_ALPHA), so
 * a plain rgba() would add its full colour to what lies under it (an 8% red turns white).
 */
function withAlpha(hex: string, alpha: number): string {
  if (alpha >= 1) return hex;
  const n = Number.parseInt(hex.slice(1), 16);
  const c = (shift: number) => Math.round(((n >> shift) & 255) * alpha);
  return `rgba(${c(16)},${c(8)},${c(0)},${alpha})`;
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
