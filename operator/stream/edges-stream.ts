// operator/stream: the edge stream of api/edges-stream.ts (`kubectl netgraph observe`).
// An EdgeObserver, so a new edge goes out the moment the operator has enriched it; the
// edges a trace already had are replayed from the history store first. Only traces
// someone watches cost anything: a set of the edge keys already sent, dropped with the
// last watcher. Streams are bounded as the graph API's are: slots in all and per identity
// (shared with the other streams of the port, else 429), a bound on unsent bytes, an
// idle time and a lifetime (`kubectl netgraph observe` reconnects after those two).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Edge, edgeKey, edgeToJSON } from '../../api/edge.js';
import {
  EDGES_STREAM_TYPE,
  type EdgesStreamEnd,
  type EdgesStreamLine,
  parseEdgesStreamPath,
  SINCE_PARAM,
} from '../../api/edges-stream.js';
import { parseDuration } from '../../lib/duration.js';
import { badParameter, type HttpServer, sendJSON } from '../../lib/http-server.js';
import { StreamSlots } from '../../lib/stream-slots.js';
import type { HistoryStore } from '../history/history.js';
import type { EdgeObserver } from '../trace/edge-observer.js';

export interface EdgesStreamOptions {
  store: Pick<HistoryStore, 'get'>;
  /** A blank line this often on a quiet stream (ms, default 15 s). */
  keepAliveMs?: number;
  /**
   * A watcher with more unsent than this is closed, its last line saying 'too slow'
   * (default 8 MiB, some 20,000 edges: a trace's first drain on a big cluster comes at once).
   */
  maxUnsentBytes?: number;
  /** Open streams, shared with the port's other streams (default: 256 in all, 16 an identity). */
  slots?: StreamSlots;
  /** Who asks (the authenticated user), for the per-identity bound (default: the address). */
  identity?(req: IncomingMessage): string;
  /** A stream that sent no edge for this long is ended, 'idle' (ms, default 10 minutes). */
  idleMs?: number;
  /** Every stream ends after this long, 'lifetime' (ms, default 1 hour). */
  maxLifetimeMs?: number;
  now?: () => number;
}

interface Watcher {
  res: ServerResponse;
  opened: number;
  lastLine: number;
  /** Live lines that came while the replay was still being written. */
  queued?: string[];
  queuedBytes: number;
}

interface Watched {
  /** `node/edgeKey` of every edge already sent: an update of one is not new. */
  sent: Set<string>;
  /** The objects already known sent: TraceRun passes the same object with each update. */
  sentObjects: WeakSet<Edge>;
  watchers: Set<Watcher>;
}

const line = (l: EdgesStreamLine) => `${JSON.stringify(l)}\n`;
// An EdgesStreamLine's edge, its fields as the log writes them.
const edgeLine = (edge: Edge) => `{"edge":${JSON.stringify(edgeToJSON(edge))}}\n`;

export class EdgesStream implements EdgeObserver {
  private readonly traces = new Map<string, Watched>();
  private readonly maxUnsent: number;
  private readonly slots: StreamSlots;
  private readonly now: () => number;

  constructor(private readonly o: EdgesStreamOptions) {
    this.maxUnsent = o.maxUnsentBytes ?? 8 << 20;
    this.slots = o.slots ?? new StreamSlots({ maxStreams: 256, maxPerIdentity: 16 });
    this.now = o.now ?? Date.now;
  }

  started(trace: string): void {
    // Started afresh: every edge is new again.
    const w = this.traces.get(trace);
    if (w === undefined) return;
    w.sent.clear();
    w.sentObjects = new WeakSet();
  }

  edge(trace: string, node: string, edge: Edge): void {
    const w = this.traces.get(trace);
    if (w === undefined || edge.type !== 'normal' || w.sentObjects.has(edge)) return;
    w.sentObjects.add(edge);
    const k = `${node}/${edgeKey(edge)}`;
    if (w.sent.has(k)) return;
    w.sent.add(k);
    const text = edgeLine({ ...edge, node });
    for (const watcher of w.watchers) this.send(watcher, text);
  }

  ended(trace: string, how: 'stopped' | 'deleted'): void {
    const w = this.traces.get(trace);
    if (w === undefined) return;
    this.traces.delete(trace);
    for (const watcher of w.watchers) finish(watcher.res, how);
  }

  /** Ends every stream (the operator is stopping). */
  close(): void {
    for (const w of this.traces.values())
      for (const watcher of w.watchers) finish(watcher.res, 'shutdown');
    this.traces.clear();
  }

  /** Serves its paths on `http`, beside the graph API's under the same prefix. */
  register(http: HttpServer): void {
    http.route((path) => parseEdgesStreamPath(path) !== undefined, this.handler);
  }

  /** GET /api/v1/traces/{ns}/{name}/edges?since=DURATION */
  readonly handler = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const at = parseEdgesStreamPath(url.pathname);
    if (at === undefined) {
      sendJSON(res, 404, { error: `no such path: ${url.pathname}` });
      return;
    }
    for (const k of url.searchParams.keys())
      if (k !== SINCE_PARAM) {
        badParameter(res, k, `unknown parameter (the edge stream takes only ${SINCE_PARAM})`);
        return;
      }
    const since = url.searchParams.get(SINCE_PARAM);
    let sinceMs: number | undefined;
    if (since !== null) {
      try {
        sinceMs = parseDuration(since, SINCE_PARAM);
      } catch {
        badParameter(res, SINCE_PARAM, `must be a duration like 30s, 5m or 1h, not "${since}"`);
        return;
      }
    }
    const trace = `${at.namespace}/${at.name}`;
    const h = this.o.store.get(trace);
    if (h === undefined) {
      sendJSON(res, 404, { error: `trace ${trace} is not held (never started, or deleted)` });
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': EDGES_STREAM_TYPE }).end();
      return;
    }
    const slot = this.slots.take(this.o.identity?.(req) ?? req.socket.remoteAddress ?? '');
    if ('refused' in slot) {
      res.setHeader('retry-after', '10');
      sendJSON(res, 429, { error: slot.refused });
      return;
    }
    res.on('close', () => slot.release());
    res.writeHead(200, { 'content-type': EDGES_STREAM_TYPE, 'cache-control': 'no-cache' });
    // Headers now, so a client knows the trace is there before its first edge.
    res.flushHeaders();
    // The replay: the records held now, in the order first seen.
    const cutoff = sinceMs === undefined ? undefined : this.now() - sinceMs;
    const replay = h.records
      .map((r) => r.edge)
      .filter((e) => cutoff === undefined || !e.firstSeen || Date.parse(e.firstSeen) >= cutoff);
    if (h.stoppedAt !== undefined) {
      void this.write(res, replay).then(() => finish(res, 'stopped'));
      return;
    }
    let w = this.traces.get(trace);
    if (w === undefined) {
      w = { sent: new Set(), sentObjects: new WeakSet(), watchers: new Set() };
      this.traces.set(trace, w);
    }
    for (const r of h.records) w.sent.add(`${r.edge.node}/${edgeKey(r.edge)}`);
    const now = this.now();
    const watcher: Watcher = { res, opened: now, lastLine: now, queued: [], queuedBytes: 0 };
    w.watchers.add(watcher);
    // Writing keeps the connection from the port's idle timeout; a quiet trace writes blank lines.
    req.socket.setTimeout(0);
    const keepAlive = setInterval(() => this.tick(watcher), this.o.keepAliveMs ?? 15_000);
    const watched = w;
    res.on('close', () => {
      clearInterval(keepAlive);
      watched.watchers.delete(watcher);
      if (watched.watchers.size === 0 && this.traces.get(trace) === watched)
        this.traces.delete(trace);
    });
    void this.write(res, replay).then(() => {
      if (replay.length > 0) watcher.lastLine = this.now();
      const queued = watcher.queued ?? [];
      watcher.queued = undefined;
      for (const text of queued) this.send(watcher, text);
    });
  };

  /** Writes the replay as the client reads it, so a long one never piles up in memory. */
  private async write(res: ServerResponse, edges: Edge[]): Promise<void> {
    for (const e of edges) {
      if (res.writableEnded || res.destroyed) return;
      if (!res.write(edgeLine(e)))
        await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
    }
  }

  /** Ends a stream past its lifetime or idle time; else a blank line keeps it open. */
  private tick(watcher: Watcher): void {
    const now = this.now();
    if (now - watcher.opened >= (this.o.maxLifetimeMs ?? 3_600_000))
      finish(watcher.res, 'lifetime');
    else if (now - watcher.lastLine >= (this.o.idleMs ?? 600_000)) finish(watcher.res, 'idle');
    else watcher.res.write('\n');
  }

  private send(watcher: Watcher, text: string): void {
    if (watcher.res.writableEnded) return;
    watcher.lastLine = this.now();
    if (watcher.queued !== undefined) {
      watcher.queued.push(text);
      watcher.queuedBytes += text.length;
      if (watcher.queuedBytes > this.maxUnsent) finish(watcher.res, 'too slow');
      return;
    }
    if (watcher.res.writableLength > this.maxUnsent) finish(watcher.res, 'too slow');
    else watcher.res.write(text);
  }
}

/** The last line, then the end of the response. */
function finish(res: ServerResponse, end: EdgesStreamEnd): void {
  if (res.writableEnded) return;
  res.end(line({ end }));
  // A client that reads nothing would hold what is queued for it: let it go.
  if (end === 'too slow') res.destroy();
}
