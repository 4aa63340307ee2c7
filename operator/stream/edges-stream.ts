// operator/stream: the edge stream of api/edges-stream.ts (`kubectl netgraph observe`).
// An EdgeObserver, so a new edge goes out the moment the operator has enriched it (and
// again, `named`, when it takes the name its pod looked up later); the
// edges a trace already had are replayed from the history store first. Only traces
// someone watches cost anything: a set of the edge keys already sent, dropped with the
// last watcher. Streams are bounded as the graph API's are: slots in all and per identity
// (shared with the other streams of the port, else 429), a bound on unsent bytes, an
// idle time and a lifetime (`kubectl netgraph observe` reconnects after those two).
// With peer replicas, a stream carries every replica's edges: each peer's own stream
// (`scope=local`) is read and its edges passed on, each node's edge once; the stream ends
// once this replica and every peer that held the trace have ended it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Edge, edgeKey, edgeToJSON } from '../../api/edge.js';
import {
  EDGES_STREAM_TYPE,
  type EdgesStreamEnd,
  type EdgesStreamLine,
  SINCE_PARAM,
} from '../../api/edges-stream.js';
import { parseApiPath } from '../../api/graph.js';
import { LOCAL_SCOPE, LOCAL_SCOPE_PARAM } from '../../api/ring.js';
import { parseDuration } from '../../lib/duration.js';
import { badParameter, type HttpServer, sendJSON } from '../../lib/http-server.js';
import { StreamSlots } from '../../lib/stream-slots.js';
import type { HistoryStore, TraceHistory } from '../history/history.js';
import { coverage, nodeEdgeKey } from '../ring/merge.js';
import type { PeerClient } from '../ring/peer-client.js';
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
  /** The other replicas, whose edges a stream carries too (default: none). */
  peers?: Pick<PeerClient, 'self' | 'hasPeers' | 'others' | 'stream' | 'parts'>;
}

interface Watcher {
  res: ServerResponse;
  opened: number;
  lastLine: number;
  /** Live lines that came while the replay was still being written. */
  queued?: string[];
  queuedBytes: number;
  /** A stream of every replica's edges: its peers' streams. */
  fan?: FanIn;
}

/** The peers' side of a stream that carries every replica's edges. */
interface FanIn {
  /** `node/edgeKey` of every edge sent on it, from any replica. */
  shown: Set<string>;
  /** Peers whose stream is open (or opening), each with its close. */
  live: Map<string, () => void>;
  answered: Set<string>;
  missing: Set<string>;
  /** Peers whose stream opened: they hold the trace. */
  holders: number;
  /** How each peer's stream ended (its last line), and which did. */
  ends: EdgesStreamEnd[];
  done: Set<string>;
  /** How this replica's part ended, once it did. */
  localEnd?: EdgesStreamEnd;
  /** Whether this replica held the trace when the stream began. */
  local: boolean;
  /** Opens the streams of peers that were not there when it began. */
  join?: () => void;
}

/** A stream's end of every replica's: this one's, else a peer's in this order, else 'shutdown'. */
const ORDER: EdgesStreamEnd[] = ['deleted', 'stopped', 'too slow', 'shutdown', 'lifetime', 'idle'];

interface Watched {
  /** `node/edgeKey` of every edge already sent: an update of one is not new. */
  sent: Set<string>;
  /** The objects already known sent: TraceRun passes the same object with each update. */
  sentObjects: WeakSet<Edge>;
  watchers: Set<Watcher>;
}

const line = (l: EdgesStreamLine) => `${JSON.stringify(l)}\n`;
// An EdgesStreamLine's edge, its fields as the log writes them.
const edgeLine = (edge: Edge, named = false) =>
  `{"edge":${JSON.stringify(edgeToJSON(edge))}${named ? ',"named":true' : ''}}\n`;

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
    for (const watcher of w.watchers) {
      if (watcher.fan?.shown.has(k)) continue;
      watcher.fan?.shown.add(k);
      this.send(watcher, text);
    }
  }

  /** An edge its watchers were sent, again with its name: a `named` line. */
  named(trace: string, node: string, edge: Edge): void {
    const w = this.traces.get(trace);
    if (w === undefined || !w.sent.has(`${node}/${edgeKey(edge)}`)) return;
    const text = edgeLine({ ...edge, node }, true);
    for (const watcher of w.watchers) this.send(watcher, text);
  }

  ended(trace: string, how: 'stopped' | 'deleted'): void {
    const w = this.traces.get(trace);
    if (w === undefined) return;
    this.traces.delete(trace);
    for (const watcher of w.watchers) this.localEnded(watcher, how);
  }

  /** Ends every stream (the operator is stopping). */
  close(): void {
    // Shutting down ends even a stream of every replica: the client asks another.
    for (const w of this.traces.values())
      for (const watcher of w.watchers) finish(watcher.res, 'shutdown');
    this.traces.clear();
  }

  /** Serves its paths on `http`, beside the graph API's under the same prefix. */
  register(http: HttpServer): void {
    http.route((path) => parseApiPath(path)?.kind === 'edges', this.handler);
  }

  /** GET /api/v1/traces/{ns}/{name}/edges?since=DURATION */
  readonly handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const at = parseApiPath(url.pathname);
    if (at?.kind !== 'edges') {
      sendJSON(res, 404, { error: `no such path: ${url.pathname}` });
      return;
    }
    for (const k of url.searchParams.keys())
      if (k !== SINCE_PARAM && k !== LOCAL_SCOPE_PARAM) {
        badParameter(
          res,
          k,
          `unknown parameter (the edge stream takes only ${SINCE_PARAM} and ${LOCAL_SCOPE_PARAM})`,
        );
        return;
      }
    const scope = url.searchParams.get(LOCAL_SCOPE_PARAM);
    if (scope !== null && scope !== LOCAL_SCOPE) {
      badParameter(res, LOCAL_SCOPE_PARAM, `must be ${LOCAL_SCOPE} or absent, not "${scope}"`);
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
    const { trace } = at;
    const h = this.o.store.get(trace);
    // Peers asked only for every replica's edges, and never by a peer.
    const fanIn = scope === null && (this.o.peers?.hasPeers() ?? false);
    if (h === undefined && !fanIn) {
      sendJSON(res, 404, { error: `trace ${trace} is not held (never started, or deleted)` });
      return;
    }
    if (req.method === 'HEAD') {
      // Held here, or by a peer.
      const held = h !== undefined || (await this.heldByPeer(trace));
      if (held) res.writeHead(200, { 'content-type': EDGES_STREAM_TYPE }).end();
      else sendJSON(res, 404, { error: `trace ${trace} is not held by any replica` });
      return;
    }
    const slot = this.slots.take(this.o.identity?.(req) ?? req.socket.remoteAddress ?? '');
    if ('refused' in slot) {
      res.setHeader('retry-after', '10');
      sendJSON(res, 429, { error: slot.refused });
      return;
    }
    res.on('close', () => slot.release());
    const now = this.now();
    const watcher: Watcher = { res, opened: now, lastLine: now, queued: [], queuedBytes: 0 };
    if (fanIn) {
      const answered = await this.fanIn(watcher, url, trace, h !== undefined);
      if (!answered) return;
    } else {
      res.writeHead(200, { 'content-type': EDGES_STREAM_TYPE, 'cache-control': 'no-cache' });
      // Headers now, so a client knows the trace is there before its first edge.
      res.flushHeaders();
    }
    this.follow(req, trace, watcher, h, sinceMs);
  };

  /** Sends this replica's replay, then its live edges, to `watcher` (its headers are sent). */
  private follow(
    req: IncomingMessage,
    trace: string,
    watcher: Watcher,
    h: TraceHistory | undefined,
    sinceMs: number | undefined,
  ): void {
    const { res } = watcher;
    // The replay: the records held now, in the order first seen.
    const cutoff = sinceMs === undefined ? undefined : this.now() - sinceMs;
    const replay = (h?.records ?? [])
      .map((r) => r.edge)
      .filter((e) => cutoff === undefined || !e.firstSeen || Date.parse(e.firstSeen) >= cutoff);
    for (const e of replay) watcher.fan?.shown.add(nodeEdgeKey(e));
    let w = this.traces.get(trace);
    if (h?.stoppedAt === undefined) {
      if (w === undefined) {
        w = { sent: new Set(), sentObjects: new WeakSet(), watchers: new Set() };
        this.traces.set(trace, w);
      }
      for (const r of h?.records ?? []) w.sent.add(`${r.edge.node}/${edgeKey(r.edge)}`);
      w.watchers.add(watcher);
    }
    // Writing keeps the connection from the port's idle timeout; a quiet trace writes blank lines.
    req.socket.setTimeout(0);
    const keepAlive = setInterval(() => this.tick(watcher), this.o.keepAliveMs ?? 15_000);
    const watched = w;
    res.on('close', () => {
      clearInterval(keepAlive);
      for (const close of watcher.fan?.live.values() ?? []) close();
      if (watched === undefined) return;
      watched.watchers.delete(watcher);
      if (watched.watchers.size === 0 && this.traces.get(trace) === watched)
        this.traces.delete(trace);
    });
    void this.write(res, replay).then(() => {
      if (replay.length > 0) watcher.lastLine = this.now();
      const queued = watcher.queued ?? [];
      watcher.queued = undefined;
      for (const text of queued) this.send(watcher, text);
      if (h?.stoppedAt !== undefined) this.localEnded(watcher, 'stopped');
      else this.maybeFinish(watcher);
    });
  }

  /**
   * Opens every peer's stream for `watcher` and waits until each has answered (or the peer
   * client's timeout): false, and a 404 sent, when neither this replica nor a peer holds the
   * trace; else the headers are sent and the peers' edges go to the watcher as they come.
   */
  private async fanIn(watcher: Watcher, url: URL, trace: string, local: boolean): Promise<boolean> {
    const peers = this.o.peers as NonNullable<EdgesStreamOptions['peers']>;
    const { res } = watcher;
    const fan: FanIn = {
      shown: new Set(),
      live: new Map(),
      answered: new Set(),
      missing: new Set(),
      holders: 0,
      ends: [],
      done: new Set(),
      local,
    };
    watcher.fan = fan;
    const path = url.pathname;
    const since = url.searchParams.get(SINCE_PARAM);
    let settled: () => void = () => {};
    const waiting = new Set<string>();
    const allSettled = new Promise<void>((resolve) => {
      settled = resolve;
    });
    const settle = (id: string) => {
      waiting.delete(id);
      if (waiting.size === 0) settled();
    };
    const open = (peer: ReturnType<typeof peers.others>[number], sinceText: string | null) => {
      let heard = this.now();
      let opened = false;
      let end: EdgesStreamEnd | undefined;
      const q = new URLSearchParams(sinceText === null ? {} : { [SINCE_PARAM]: sinceText });
      const close = peers.stream(peer, path, q, {
        opened: (id) => {
          opened = true;
          fan.holders++;
          settle(id);
          this.cover(watcher, () => {
            fan.answered.add(id);
            fan.missing.delete(id);
          });
        },
        line: (_id, text) => {
          heard = this.now();
          if (text === '') return;
          let line: EdgesStreamLine;
          try {
            line = JSON.parse(text) as EdgesStreamLine;
          } catch {
            return;
          }
          if ('end' in line) end = line.end;
          if (!('edge' in line)) return;
          const k = nodeEdgeKey(line.edge);
          if (fan.shown.has(k) && !line.named) return;
          fan.shown.add(k);
          this.send(watcher, `${text}\n`);
        },
        ended: (id, error) => {
          fan.live.delete(id);
          settle(id);
          if (end === 'idle' || end === 'lifetime') {
            // The peer's bounds, not the stream's: asked again for what came meanwhile.
            if (!res.writableEnded) open(peer, `${Math.ceil(this.now() - heard + 30_000)}ms`);
            return;
          }
          this.cover(watcher, () => {
            if (!opened && error === undefined) {
              // A 404: the peer holds none of the trace (asked again as the stream goes on).
              fan.answered.add(id);
              fan.missing.delete(id);
            } else if (error !== undefined || end === undefined) {
              fan.answered.delete(id);
              fan.missing.add(id);
            } else {
              fan.ends.push(end);
              fan.done.add(id);
            }
          });
          this.maybeFinish(watcher);
        },
      });
      fan.live.set(peer.id, close);
    };
    for (const peer of peers.others()) {
      waiting.add(peer.id);
      open(peer, since);
    }
    // Nodes move between replicas, replicas come and go: every peer whose stream is not
    // open (and has not ended it) is asked again now and then for its edges since this
    // stream began, each node's edge still sent once.
    fan.join = () => {
      const now = peers.others();
      // A replica the ring dropped is no longer missing: its nodes are another's now.
      this.cover(watcher, () => {
        for (const id of fan.missing) if (!now.some((p) => p.id === id)) fan.missing.delete(id);
      });
      for (const peer of now)
        if (!fan.live.has(peer.id) && !fan.done.has(peer.id))
          open(peer, `${Math.ceil(this.now() - watcher.opened + 30_000)}ms`);
    };
    if (waiting.size > 0) await allSettled;
    if (!local && fan.holders === 0) {
      const missing = [...fan.missing];
      const why = missing.length > 0 ? `; replicas ${missing.join(', ')} did not answer` : '';
      sendJSON(res, 404, {
        error: `trace ${trace} is not held by any replica (never started, or deleted)${why}`,
      });
      return false;
    }
    res.writeHead(200, { 'content-type': EDGES_STREAM_TYPE, 'cache-control': 'no-cache' });
    // The replicas first, then the edges (this replica's replay, what peers sent meanwhile).
    res.write(this.coverageLine(fan));
    return true;
  }

  private coverageLine(fan: FanIn): string {
    const self = this.o.peers?.self ?? '';
    return line({ coverage: coverage(self, [...fan.answered], [...fan.missing]) });
  }

  /** Applies `change` to who answered; tells the client if that changed, once the stream has begun. */
  private cover(watcher: Watcher, change: () => void): void {
    const fan = watcher.fan;
    if (fan === undefined) return;
    const was = JSON.stringify([[...fan.answered], [...fan.missing]]);
    change();
    if (watcher.res.headersSent && JSON.stringify([[...fan.answered], [...fan.missing]]) !== was)
      this.send(watcher, this.coverageLine(fan));
  }

  /** This replica's part of the stream ended: the stream too, unless peers' still run. */
  private localEnded(watcher: Watcher, how: EdgesStreamEnd): void {
    if (watcher.fan === undefined) {
      finish(watcher.res, how);
      return;
    }
    watcher.fan.localEnd = how;
    this.maybeFinish(watcher);
  }

  /** Ends a stream of every replica once none of its parts is left. */
  private maybeFinish(watcher: Watcher): void {
    const fan = watcher.fan;
    // Not before the replay and what came meanwhile are written.
    if (fan === undefined || fan.live.size > 0 || watcher.queued !== undefined) return;
    if (fan.local && fan.localEnd === undefined) return;
    const end =
      fan.localEnd ?? ORDER.find((e) => fan.ends.includes(e)) ?? ('shutdown' as EdgesStreamEnd);
    finish(watcher.res, end);
  }

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
    else {
      watcher.res.write('\n');
      watcher.fan?.join?.();
    }
  }

  /** Whether a peer holds the trace (for HEAD, which opens no stream). */
  private async heldByPeer(trace: string): Promise<boolean> {
    const peers = this.o.peers;
    if (!peers?.hasPeers()) return false;
    return (await peers.parts(trace, new URLSearchParams(), 'none')).views.length > 0;
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
