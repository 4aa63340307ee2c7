// The graph page's read-only HTTP API (/api/v1/) and the page itself (/), on the
// operator's HTTPS port. Everything is answered from the history store: the list of
// traces, the graph of one trace for a window, an entity's time series, and a live
// stream (server-sent events) of the graph's changes. See the README's API table. With
// peer replicas, each answer has their nodes too: their part, asked of them
// (operator/ring/peer-client.ts), is merged with this replica's (operator/ring/merge.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_ROOT,
  type Coverage,
  type GraphParamName,
  PART_BINS,
  PART_PARAMS,
  type PartBins,
  parseApiPath,
  type SeriesAnswer,
  type TraceList,
  type TraceSummary,
  type WindowSources,
} from '../../api/graph.js';
import { LOCAL_SCOPE, LOCAL_SCOPE_PARAM } from '../../api/ring.js';
import { badParameter, type HttpServer, sendJSON } from '../../lib/http-server.js';
import type { Logger } from '../../lib/log.js';
import type { StreamSlots } from '../../lib/stream-slots.js';
import { BIN_MS, binOf } from '../history/bin-log.js';
import type { HistoryStore, TraceHistory } from '../history/history.js';
import {
  memoryStart,
  PROMETHEUS_REACH_MS,
  type PrometheusHistory,
  withEarlyPart,
} from '../history/prometheus-history.js';
import { coverage, mergeLists, mergeViews, partOf, type TraceView } from '../ring/merge.js';
import type { PeerClient } from '../ring/peer-client.js';
import { buildGraph, entityParts, type Totals } from './graph.js';
import { type GraphParams, graphParams, ParameterError } from './params.js';
import { type Computed, GraphStreams, type StreamLimits } from './streams.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** What this API serves of a trace (the edge stream, node edges and policies are elsewhere). */
const GRAPH_ENDPOINTS = ['graph', 'series', 'stream', 'part'] as const;

/** The checkout's or image's root (where package.json is), from the built or source file. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export interface GraphApiOptions {
  store: HistoryStore;
  log: Logger;
  /** Where `npm run build` put the page (default <package root>/dist/web). */
  webRoot?: string;
  /** Who is asking (the authenticated user), for the per-identity cap on live streams. */
  identity?(req: IncomingMessage): string;
  /** Bounds on live streams (streams.ts's defaults otherwise). */
  streams?: Partial<StreamLimits>;
  /** Stream slots shared with the port's other streams (else its own, from `streams`). */
  slots?: StreamSlots;
  /** The clock of the streams' idle time and lifetime (default Date.now; tests set it). */
  now?: () => number;
  /** Whether the caller of `req` may see this Trace in the list (default: every Trace). */
  mayList?(req: IncomingMessage, namespace: string, name: string): Promise<boolean>;
  /** Where windows reaching before the memory are read (--prometheus-url; default: nowhere). */
  prometheus?: PrometheusHistory;
  /** The other replicas, whose nodes' part each answer gathers (default: none). */
  peers?: Pick<PeerClient, 'self' | 'hasPeers' | 'alone' | 'ask' | 'parts'>;
}

/** A trace as one answer sees it, and the replicas it is made of. */
interface Seen {
  view: TraceView;
  coverage: Coverage;
}
/** A trace as one answer reads it: with the part before the memory, and what came from where. */
type Read = Seen & { sources: WindowSources };

export class GraphApi {
  private readonly files = new Map<string, Buffer>();
  readonly streams: GraphStreams;

  constructor(private readonly o: GraphApiOptions) {
    this.streams = new GraphStreams(o.log, o.streams, o.now, o.slots);
    const root = o.webRoot ?? join(packageRoot(), 'dist', 'web');
    // The page's few files, read once: only these names are ever served.
    if (existsSync(root))
      for (const f of readdirSync(root)) this.files.set(`/${f}`, readFileSync(join(root, f)));
    else o.log.warn({ root }, 'graph page not built (npm run build): / answers 503');
  }

  /** Ends the live streams (the operator stops). */
  close(): void {
    this.streams.closeAll();
  }

  register(http: HttpServer): void {
    http.route('/', (req, res, url) => this.page(req, res, url));
    http.route('/api/v1/', (req, res, url) => this.api(req, res, url));
  }

  private page(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const name = url.pathname === '/' ? '/index.html' : url.pathname;
    const body = this.files.get(name);
    if (body === undefined) {
      if (this.files.size === 0)
        sendJSON(res, 503, { error: 'the graph page is not built: npm run build' });
      else sendJSON(res, 404, { error: `no such path: ${url.pathname}` });
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    res.end(body);
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const at = parseApiPath(url.pathname);
    const scope = url.searchParams.get(LOCAL_SCOPE_PARAM);
    if (scope !== null && scope !== LOCAL_SCOPE) {
      badParameter(res, LOCAL_SCOPE_PARAM, `must be ${LOCAL_SCOPE} or absent, not "${scope}"`);
      return;
    }
    // Peers asked only for an answer of every replica's nodes, and never by a peer.
    const fanIn = scope === null && (this.o.peers?.hasPeers() ?? false);
    if (at?.kind === 'list') return this.list(req, res, fanIn);
    const endpoint = GRAPH_ENDPOINTS.find((e) => e === at?.kind);
    if (at === undefined || endpoint === undefined) {
      sendJSON(res, 404, { error: `no such path: ${url.pathname}` });
      return;
    }
    const { trace } = at;
    const h = this.o.store.get(trace);
    const own = h && this.localView(h);
    if (endpoint === 'part') {
      this.part(res, url, trace, own);
      return;
    }
    const entityParam: GraphParamName = 'entity';
    const entity = url.searchParams.get(entityParam);
    let params: GraphParams;
    try {
      params = graphParams(url.searchParams, this.reachMs, own?.end ?? Date.now());
    } catch (err) {
      if (err instanceof ParameterError) {
        badParameter(res, err.parameter, err.message);
        return;
      }
      throw err;
    }
    // What peers are asked: the window and its parameters (the rest is applied to the whole).
    const query = new URLSearchParams(url.searchParams);
    query.delete(entityParam);
    // A graph needs each edge's sums over the window, a series each bin.
    const see = () => this.see(trace, own, query, fanIn, endpoint === 'series' ? 'each' : 'window');
    if (endpoint === 'stream') {
      const first = await see();
      if ('missing' in first) {
        this.notHeld(res, trace, first.missing);
        return;
      }
      this.stream(req, res, trace, h, params, fanIn, see);
      return;
    }
    if (endpoint === 'series' && !entity) {
      badParameter(res, entityParam, 'is required: the id of an entity of the graph');
      return;
    }
    const seen = await see();
    if ('missing' in seen) this.notHeld(res, trace, seen.missing);
    else if (entity) sendJSON(res, 200, this.series(await this.read(seen, params), params, entity));
    else sendJSON(res, 200, this.graph(await this.read(seen, params), params).body);
  }

  /** How far back a window may start: the memory's window, or Prometheus's reach. */
  private get reachMs(): number {
    const { windowMs } = this.o.store;
    return this.o.prometheus ? Math.max(windowMs, PROMETHEUS_REACH_MS) : windowMs;
  }

  /**
   * The trace with, when the window (or `changed`'s window before) starts before the
   * memory's first bin, the part before it from Prometheus.
   */
  private async read(seen: Seen, p: GraphParams): Promise<Read> {
    const v = seen.view;
    const w = this.window(v, p);
    const earliest = binOf(p.changed ? 2 * w.from - w.to : w.from);
    const { bin: memory, ranBefore } = memoryStart(v, this.o.store.windowMs);
    const iso = (bin: number) => new Date(bin * BIN_MS).toISOString();
    const sources: WindowSources = { memoryFrom: iso(memory) };
    const prometheus = this.o.prometheus;
    if (earliest >= memory || !ranBefore || prometheus === undefined) return { ...seen, sources };
    const warning = await prometheus.load(v.key, earliest, memory);
    const part = warning === undefined ? prometheus.part(v.key, v.records.length) : undefined;
    if (part === undefined) return { ...seen, sources: { ...sources, warning } };
    return {
      ...seen,
      view: withEarlyPart(v, part, memory),
      sources: { ...sources, prometheus: { from: iso(earliest), to: iso(memory) } },
    };
  }

  /** The trace as this replica holds it. */
  private localView(h: TraceHistory): TraceView {
    return {
      key: h.key,
      parameters: h.parameters,
      startedAt: h.startedAt,
      ...(h.stoppedAt === undefined ? {} : { stoppedAt: h.stoppedAt }),
      end: this.o.store.endOf(h),
      records: h.records,
      each: (from, to, visit) => this.o.store.each(h, from, to, visit),
    };
  }

  /** This replica's part and, with `fanIn`, its peers': one view, or who did not answer. */
  private async see(
    trace: string,
    own: TraceView | undefined,
    query: URLSearchParams,
    fanIn: boolean,
    bins: PartBins,
  ): Promise<Seen | { missing: string[] }> {
    const peers = this.o.peers;
    const alone = peers?.alone() ?? { answered: [], missing: [] };
    if (!fanIn || peers === undefined)
      return own ? { view: own, coverage: alone } : { missing: [] };
    const { views, answered, missing } = await peers.parts(trace, query, bins);
    // In the replicas' order, so that every replica draws the same graph.
    const all = own ? [{ replica: peers.self, view: own }, ...views] : views;
    all.sort((x, y) => (x.replica < y.replica ? -1 : 1));
    const view = mergeViews(all.map((v) => v.view));
    return view ? { view, coverage: coverage(peers.self, answered, missing) } : { missing };
  }

  private notHeld(res: ServerResponse, trace: string, missing: string[]): void {
    const peers =
      missing.length > 0 ? `; replicas ${missing.join(', ')} did not answer (partial)` : '';
    sendJSON(res, 404, {
      error: `trace ${trace} is not held (never started, or deleted)${peers}`,
    });
  }

  /** GET .../part: this replica's own part of a trace, for a peer (api/graph.ts's TracePart). */
  private part(res: ServerResponse, url: URL, trace: string, own: TraceView | undefined): void {
    const q = new URLSearchParams(url.searchParams);
    const after = q.get(PART_PARAMS.after) ?? '0';
    const epoch = q.get(PART_PARAMS.epoch);
    const bins = (q.get(PART_PARAMS.bins) ?? 'each') as PartBins;
    for (const [name, text] of [
      [PART_PARAMS.after, after],
      [PART_PARAMS.epoch, epoch ?? '0'],
    ] as const)
      if (!/^\d{1,15}$/.test(text)) {
        badParameter(res, name, `must be a whole number, not "${text}"`);
        return;
      }
    if (!PART_BINS.includes(bins)) {
      badParameter(res, PART_PARAMS.bins, `must be ${PART_BINS.join(', ')}, not "${bins}"`);
      return;
    }
    for (const name of Object.values(PART_PARAMS)) q.delete(name);
    let p: GraphParams;
    try {
      p = graphParams(q, this.reachMs, own?.end ?? Date.now());
    } catch (err) {
      if (err instanceof ParameterError) {
        badParameter(res, err.parameter, err.message);
        return;
      }
      throw err;
    }
    if (own === undefined) {
      this.notHeld(res, trace, []);
      return;
    }
    const w = this.window(own, p);
    sendJSON(
      res,
      200,
      partOf(own, {
        after: Number(after),
        ...(epoch === null ? {} : { epoch: Number(epoch) }),
        fromMs: w.from,
        toMs: w.to,
        // "Changed" compares with the window before: its bins too.
        ...(p.changed && { beforeMs: 2 * w.from - w.to }),
        bins,
        memoryFromMs: memoryStart(own, this.o.store.windowMs).bin * BIN_MS,
      }),
    );
  }

  private async list(req: IncomingMessage, res: ServerResponse, fanIn: boolean): Promise<void> {
    const { mayList, peers } = this.o;
    const own = this.o.store.list().map((h) => this.summary(h));
    let cover = peers?.alone() ?? { answered: [], missing: [] };
    let traces = own;
    if (fanIn && peers) {
      const asked = await peers.ask<TraceList>(`/${API_ROOT}/traces`);
      const ok = asked.answers.filter((a) => a.status === 200 && a.body);
      const failed = asked.answers.filter((a) => !ok.includes(a)).map((a) => a.replica);
      traces = mergeLists([own, ...ok.map((a) => a.body?.traces ?? [])]);
      cover = coverage(
        peers.self,
        ok.map((a) => a.replica),
        [...asked.missing, ...failed],
      );
    }
    if (mayList) {
      const seen = await Promise.all(traces.map((t) => mayList(req, t.namespace, t.name)));
      traces = traces.filter((_, i) => seen[i]);
    }
    const list: TraceList = { traces, ...cover };
    sendJSON(res, 200, list);
  }

  private summary(h: TraceHistory): TraceSummary {
    const [namespace = '', name = ''] = h.key.split('/');
    return {
      trace: h.key,
      namespace,
      name,
      state: h.stoppedAt === undefined ? 'Started' : 'Stopped',
      startedAt: new Date(h.startedAt).toISOString(),
      stoppedAt: h.stoppedAt === undefined ? undefined : new Date(h.stoppedAt).toISOString(),
      edges: h.records.length,
      parameters: h.parameters,
      historySeconds: this.o.store.windowMs / 1000,
    };
  }

  /**
   * The window a query covers: `from` to `to`, or `start` back from `to`; `to` is at most
   * now (or when the trace stopped).
   */
  private window(v: TraceView, p: GraphParams): { from: number; to: number } {
    const end = v.end;
    const to = Math.min(p.toMs ?? end, end);
    return { from: Math.min(p.fromMs ?? to - p.startMs, to), to };
  }

  private graph({ view: v, coverage: cover, sources }: Read, p: GraphParams): Computed {
    const w = this.window(v, p);
    const totals = this.totals(v, w.from, w.to);
    // "Changed" compares with the window of the same length just before.
    const before = p.changed ? this.totals(v, 2 * w.from - w.to, w.from) : undefined;
    const { graph, contributions } = buildGraph(v.records, totals, p, before);
    return {
      graph,
      contributions,
      body: {
        trace: v.key,
        state: v.stoppedAt === undefined ? 'Started' : 'Stopped',
        from: new Date(w.from).toISOString(),
        to: new Date(w.to).toISOString(),
        groupBy: p.groupBy,
        services: p.services,
        ...graph,
        ...cover,
        sources,
      },
    };
  }

  private totals(v: TraceView, from: number, to: number): Totals {
    const totals: Totals = new Float64Array(3 * v.records.length);
    v.each(from, to, (_bin, edge, c, s, r) => {
      totals[3 * edge] = (totals[3 * edge] ?? 0) + c;
      totals[3 * edge + 1] = (totals[3 * edge + 1] ?? 0) + s;
      totals[3 * edge + 2] = (totals[3 * edge + 2] ?? 0) + r;
    });
    return totals;
  }

  /** Bytes the entity sent and received in each 10-second bin of the window. */
  private series(seen: Read, p: GraphParams, entity: string): SeriesAnswer {
    const { graph, contributions } = this.graph(seen, p);
    const w = this.window(seen.view, p);
    const first = binOf(w.from);
    const n = binOf(w.to) - first + 1;
    const sent = new Array<number>(n).fill(0);
    const received = new Array<number>(n).fill(0);
    const sends = entityParts(graph, contributions, entity);
    seen.view.each(w.from, w.to, (bin, edge, _c, s, r) => {
      const own = sends.get(edge);
      if (own === undefined) return;
      const i = bin - first;
      sent[i] = (sent[i] ?? 0) + (own ? s : r);
      received[i] = (received[i] ?? 0) + (own ? r : s);
    });
    return {
      trace: seen.view.key,
      entity,
      known: graph.entities.some((e) => e.id === entity),
      binSeconds: BIN_MS / 1000,
      // Unix seconds of each bin's start.
      times: Array.from({ length: n }, (_, i) => ((first + i) * BIN_MS) / 1000),
      sent,
      received,
      ...seen.coverage,
      sources: seen.sources,
    };
  }

  /**
   * Server-sent events: `graph` (the whole graph) first, then `update` with the entities and
   * edges that appeared or changed and the ids of those gone, whenever the trace changes;
   * bounded and shared by streams.ts.
   */
  private stream(
    req: IncomingMessage,
    res: ServerResponse,
    trace: string,
    h: TraceHistory | undefined,
    p: GraphParams,
    fanIn: boolean,
    see: () => Promise<Seen | { missing: string[] }>,
  ): void {
    const identity = this.o.identity?.(req) ?? req.socket.remoteAddress ?? '';
    const key = `${trace}\n${fanIn}\n${JSON.stringify(p)}`;
    const cover = this.o.peers?.alone() ?? { answered: [], missing: [] };
    // This replica's own trace is followed by its version; peers' parts are asked each interval.
    this.streams.start(res, identity, key, {
      version: () => (fanIn ? undefined : h?.version),
      running: () => h?.stoppedAt === undefined,
      compute: async () => {
        const seen = fanIn || h === undefined ? await see() : undefined;
        if (seen && 'missing' in seen)
          throw new Error(`trace ${trace} is no longer held by any replica`);
        const own = { view: this.localView(h as TraceHistory), coverage: cover };
        return this.graph(await this.read(seen ?? own, p), p);
      },
    });
  }
}
