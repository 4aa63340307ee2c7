// The graph page's read-only HTTP API (/api/v1/) and the page itself (/), on the
// operator's HTTP port. Everything is answered from the history store: the list of
// traces, the graph of one trace for a window, an entity's time series, and a live
// stream (server-sent events) of the graph's changes. See the README's API table.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphParamName, SeriesAnswer, TraceList, TraceSummary } from '../../api/graph.js';
import { badParameter, type HttpServer, sendJSON } from '../../lib/http-server.js';
import type { Logger } from '../../lib/log.js';
import type { StreamSlots } from '../../lib/stream-slots.js';
import { BIN_MS, binOf } from '../history/bin-log.js';
import type { HistoryStore, TraceHistory } from '../history/history.js';
import { buildGraph, entityParts, type Totals } from './graph.js';
import { type GraphParams, graphParams, ParameterError } from './params.js';
import { type Computed, GraphStreams, type StreamLimits } from './streams.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

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
}

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

  private api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | undefined {
    const parts = url.pathname.split('/').filter(Boolean).slice(2);
    if (parts.length === 1 && parts[0] === 'traces') return this.list(req, res);
    if (parts.length !== 4 || parts[0] !== 'traces') {
      sendJSON(res, 404, { error: `no such path: ${url.pathname}` });
      return;
    }
    const trace = `${parts[1]}/${parts[2]}`;
    const h = this.o.store.get(trace);
    if (h === undefined) {
      sendJSON(res, 404, { error: `trace ${trace} is not held (never started, or deleted)` });
      return;
    }
    let params: GraphParams;
    try {
      params = graphParams(url.searchParams, this.o.store.windowMs, this.o.store.endOf(h));
    } catch (err) {
      if (err instanceof ParameterError) {
        badParameter(res, err.parameter, err.message);
        return;
      }
      throw err;
    }
    const entityParam: GraphParamName = 'entity';
    const entity = url.searchParams.get(entityParam);
    switch (parts[3]) {
      case 'graph':
        sendJSON(res, 200, this.graph(h, params).body);
        return;
      case 'series':
        if (!entity) {
          badParameter(res, entityParam, 'is required: the id of an entity of the graph');
          return;
        }
        sendJSON(res, 200, this.series(h, params, entity));
        return;
      case 'stream':
        this.stream(req, res, h, params);
        return;
      default:
        sendJSON(res, 404, { error: `no such path: ${url.pathname}` });
    }
  }

  private async list(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { mayList } = this.o;
    let traces = this.o.store.list().map((h) => this.summary(h));
    if (mayList) {
      const seen = await Promise.all(traces.map((t) => mayList(req, t.namespace, t.name)));
      traces = traces.filter((_, i) => seen[i]);
    }
    const list: TraceList = { traces };
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
  private window(h: TraceHistory, p: GraphParams): { from: number; to: number } {
    const end = this.o.store.endOf(h);
    const to = Math.min(p.toMs ?? end, end);
    return { from: Math.min(p.fromMs ?? to - p.startMs, to), to };
  }

  private graph(h: TraceHistory, p: GraphParams): Computed {
    const w = this.window(h, p);
    const totals = this.totals(h, w.from, w.to);
    // "Changed" compares with the window of the same length just before.
    const before = p.changed ? this.totals(h, 2 * w.from - w.to, w.from) : undefined;
    const { graph, contributions } = buildGraph(h.records, totals, p, before);
    return {
      graph,
      contributions,
      body: {
        trace: h.key,
        state: h.stoppedAt === undefined ? 'Started' : 'Stopped',
        from: new Date(w.from).toISOString(),
        to: new Date(w.to).toISOString(),
        groupBy: p.groupBy,
        services: p.services,
        ...graph,
      },
    };
  }

  private totals(h: TraceHistory, from: number, to: number): Totals {
    const totals: Totals = new Float64Array(3 * h.records.length);
    this.o.store.each(h, from, to, (_bin, edge, c, s, r) => {
      totals[3 * edge] = (totals[3 * edge] ?? 0) + c;
      totals[3 * edge + 1] = (totals[3 * edge + 1] ?? 0) + s;
      totals[3 * edge + 2] = (totals[3 * edge + 2] ?? 0) + r;
    });
    return totals;
  }

  /** Bytes the entity sent and received in each 10-second bin of the window. */
  private series(h: TraceHistory, p: GraphParams, entity: string): SeriesAnswer {
    const { graph, contributions } = this.graph(h, p);
    const w = this.window(h, p);
    const first = binOf(w.from);
    const n = binOf(w.to) - first + 1;
    const sent = new Array<number>(n).fill(0);
    const received = new Array<number>(n).fill(0);
    const sends = entityParts(graph, contributions, entity);
    this.o.store.each(h, w.from, w.to, (bin, edge, _c, s, r) => {
      const own = sends.get(edge);
      if (own === undefined) return;
      const i = bin - first;
      sent[i] = (sent[i] ?? 0) + (own ? s : r);
      received[i] = (received[i] ?? 0) + (own ? r : s);
    });
    return {
      trace: h.key,
      entity,
      known: graph.entities.some((e) => e.id === entity),
      binSeconds: BIN_MS / 1000,
      // Unix seconds of each bin's start.
      times: Array.from({ length: n }, (_, i) => ((first + i) * BIN_MS) / 1000),
      sent,
      received,
    };
  }

  /**
   * Server-sent events: `graph` (the whole graph) first, then `update` with the entities and
   * edges that appeared or changed and the ids of those gone, whenever the trace changes;
   * bounded and shared by streams.ts.
   */
  private stream(req: IncomingMessage, res: ServerResponse, h: TraceHistory, p: GraphParams): void {
    const identity = this.o.identity?.(req) ?? req.socket.remoteAddress ?? '';
    this.streams.start(res, identity, h, JSON.stringify(p), () => this.graph(h, p));
  }
}
