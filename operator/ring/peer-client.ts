// Reads across replicas: the one asked gathers its peers' part of an answer (api/ring.ts).
// Each peer is asked with `scope=local`, so it answers from its own memory only and asks
// no one in turn, over HTTPS pinned to the certificate every replica serves, with this
// replica's ServiceAccount token; a peer that has not answered in 2 s is missing from
// the answer, which then says it is partial. With no peers nothing is asked.
import type http from 'node:http';
import https from 'node:https';
import { LRUCache } from 'lru-cache';
import type { Edge } from '../../api/edge.js';
import {
  type Coverage,
  PART_PARAMS,
  type PartBins,
  type PartGroups,
  type TracePart,
  traceApiPath,
} from '../../api/graph.js';
import { LOCAL_SCOPE, LOCAL_SCOPE_PARAM, type Peers, type Replica } from '../../api/ring.js';
import type { Logger } from '../../lib/log.js';
import { pinned } from '../../lib/pinned-cert.js';
import { errorText } from '../../lib/result.js';
import type { ServingCert } from '../access/serving-cert.js';
import type { HistoryStore } from '../history/history.js';
import type { TokenSource } from '../trace/agent-token.js';
import { appendPart, coverage, partView, type TraceView, uniqueNodeEdges } from './merge.js';

export const PEER_TIMEOUT_MS = 2000;

export interface PeerClientOptions {
  peers: Peers;
  /** This replica's serving certificate: its peers serve the same one. */
  serving: Pick<ServingCert, 'ca' | 'hosts'>;
  token: TokenSource;
  /** This replica's own edges, for allEdges. */
  store: Pick<HistoryStore, 'get'>;
  log: Logger;
  /** How long a peer has to answer (default 2 s). */
  timeoutMs?: number;
}

/** What the peers said: each answer (any status) of those that answered, and who did not. */
export interface Asked<T> {
  answers: { replica: string; status: number; body: T | undefined }[];
  missing: string[];
}

/** A peer's live stream, line by line, until it ends: 404 ends it at once; `error` when it broke. */
export interface PeerStreamSink {
  opened(replica: string): void;
  line(replica: string, text: string): void;
  ended(replica: string, error?: string): void;
}

/** A peer's part of a trace, as a view. */
export interface PeerView {
  replica: string;
  view: TraceView;
}

type PartRecords = { startedAt: number; records: { edge: Edge; groups: PartGroups }[] };

export class PeerClient {
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;
  /**
   * Edges of peers' traces already fetched (they are only ever added): only new ones are
   * asked for. Some 620 bytes an edge of heap (bench/fan-in.ts), so a trace's go two
   * minutes after it was last read (a live graph reads it every second).
   */
  private readonly records = new LRUCache<string, PartRecords>({ max: 64, ttl: 120_000 });
  /** Peers last found unreachable, so a dead one is logged once, not at every read. */
  private readonly down = new Set<string>();

  constructor(private readonly o: PeerClientOptions) {
    this.timeoutMs = o.timeoutMs ?? PEER_TIMEOUT_MS;
    this.agent = new https.Agent({
      keepAlive: true,
      ...pinned(o.serving.ca, o.serving.hosts, "this replica's own serving certificate"),
    });
  }

  get self(): string {
    return this.o.peers.self;
  }

  /** Whether there is anyone to ask: with one replica every read stays local. */
  hasPeers(): boolean {
    return this.o.peers.others().length > 0;
  }

  /** The coverage of an answer made of this replica alone. */
  alone(): Coverage {
    return coverage(this.self, [], []);
  }

  /** GET `path?query&scope=local` of every peer at once; a 200's body parsed by `parse` (JSON). */
  async ask<T>(
    path: string,
    query = new URLSearchParams(),
    parse: (text: string) => T = JSON.parse,
  ): Promise<Asked<T>> {
    const out: Asked<T> = { answers: [], missing: [] };
    await Promise.all(
      this.o.peers.others().map(async (peer) => {
        const answer = await this.askOne<T>(peer, path, query, parse);
        if (answer === undefined) out.missing.push(peer.id);
        else out.answers.push({ replica: peer.id, ...answer });
      }),
    );
    return out;
  }

  /**
   * GET `path?scope=local` of every peer at once, answered as newline-delimited JSON: the
   * lines of those that answered in full, parsed one at a time as they come (a large
   * answer is never one string); a 404 adds none; a peer that broke off is missing.
   */
  async askLines<T>(path: string): Promise<{ lines: T[]; missing: string[] }> {
    const out = { lines: [] as T[], missing: [] as string[] };
    await Promise.all(
      this.others().map(
        (peer) =>
          new Promise<void>((resolve) => {
            const lines: T[] = [];
            let bad = false;
            this.stream(peer, path, new URLSearchParams(), {
              opened: () => {},
              line: (_, text) => {
                if (!text || bad) return;
                try {
                  lines.push(JSON.parse(text) as T);
                } catch {
                  bad = true;
                }
              },
              ended: (_, error) => {
                if (error === undefined && !bad) for (const l of lines) out.lines.push(l);
                else out.missing.push(peer.id);
                resolve();
              },
            });
          }),
      ),
    );
    return out;
  }

  /**
   * The peers' parts of a trace (api/graph.ts's TracePart) for the graph query `query`,
   * as views; a peer that does not hold the trace answers 404 and adds none. `bins`: what
   * of their bins (api/graph.ts's PART_BINS).
   */
  async parts(
    trace: string,
    query: URLSearchParams,
    bins: PartBins = 'each',
  ): Promise<{ views: PeerView[]; answered: string[]; missing: string[] }> {
    const out = { views: [] as PeerView[], answered: [] as string[], missing: [] as string[] };
    const now = Date.now();
    await Promise.all(
      this.o.peers.others().map(async (peer) => {
        const part = await this.partOf(peer, trace, query, bins);
        if (part === 'missing') {
          out.missing.push(peer.id);
          return;
        }
        out.answered.push(peer.id);
        if (part !== undefined)
          out.views.push({ replica: peer.id, view: partView(part.part, part.records, now) });
      }),
    );
    return out;
  }

  /**
   * Every node's unique edges of a trace, this replica's and its peers' (each node's edge
   * once, as first seen): what status.output, the edge count and policy advice need.
   */
  async allEdges(trace: string): Promise<{ edges: Edge[]; answered: string[]; missing: string[] }> {
    const own = this.o.store.get(trace)?.records.map((r) => r.edge) ?? [];
    if (!this.hasPeers()) return { edges: own, answered: [this.self], missing: [] };
    const { views, answered, missing } = await this.parts(trace, new URLSearchParams(), 'none');
    return {
      edges: uniqueNodeEdges([own, ...views.map((v) => v.view.records.map((r) => r.edge))]),
      answered: [this.self, ...answered],
      missing,
    };
  }

  /** The peers now (the ring's live replicas but this one). */
  others(): Replica[] {
    return this.o.peers.others();
  }

  /**
   * Opens `path?query&scope=local` on `peer` as a stream, each line to `sink` (the peer
   * has the timeout to answer); returns what closes it.
   */
  stream(peer: Replica, path: string, query: URLSearchParams, sink: PeerStreamSink): () => void {
    let req: http.ClientRequest | undefined;
    let done = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const stop = (err: Error) => req?.destroy(err);
    const end = (error?: string) => {
      clearTimeout(watchdog);
      if (done) return;
      done = true;
      req?.destroy();
      if (error !== undefined) this.unreachable(peer.id, error);
      sink.ended(peer.id, error);
    };
    // The answer within the timeout; then a blank line at least every 15 s: 45 s silent is dead.
    watchdog = setTimeout(
      () => stop(new Error(`no answer in ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    void this.open(peer, path, query, 0).then(
      (r) => {
        req = r;
        if (done) r.destroy();
        r.on('error', (err) => end(errorText(err)));
        r.on('response', (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            end(res.statusCode === 404 ? undefined : `HTTP ${res.statusCode}`);
            return;
          }
          this.reachable(peer.id);
          sink.opened(peer.id);
          const alive = () => {
            clearTimeout(watchdog);
            watchdog = setTimeout(() => stop(new Error('silent for 45 s')), 45_000);
          };
          alive();
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            alive();
            buf += chunk;
            for (let i = buf.indexOf('\n'); i >= 0 && !done; i = buf.indexOf('\n')) {
              sink.line(peer.id, buf.slice(0, i));
              buf = buf.slice(i + 1);
            }
          });
          res.on('error', () => {});
          res.on('close', () => end(res.complete ? undefined : 'the stream broke off'));
        });
      },
      (err) => end(errorText(err)),
    );
    return () => {
      done = true;
      clearTimeout(watchdog);
      req?.destroy();
    };
  }

  close(): void {
    this.agent.destroy();
  }

  /** A peer's part, with the edges already held before it; undefined: it holds none. */
  private async partOf(
    peer: Replica,
    trace: string,
    query: URLSearchParams,
    bins: PartBins,
  ): Promise<{ part: TracePart; records: PartRecords['records'] } | undefined | 'missing'> {
    const key = `${peer.id}\n${trace}`;
    const path = `/${traceApiPath(trace, 'part', {})}`;
    // Twice at most: a part that does not fit what is held (dropped meanwhile) is asked again whole.
    for (let attempt = 0; attempt < 2; attempt++) {
      const held = this.records.get(key);
      const q = new URLSearchParams(query);
      q.set(PART_PARAMS.after, String(held?.records.length ?? 0));
      if (held) q.set(PART_PARAMS.epoch, String(held.startedAt));
      q.set(PART_PARAMS.bins, bins);
      const answer = await this.askOne<TracePart>(peer, path, q, JSON.parse);
      if (answer === undefined) return 'missing';
      if (answer.status === 404) return undefined;
      if (answer.status !== 200 || answer.body === undefined) {
        this.unreachable(peer.id, `HTTP ${answer.status}`);
        return 'missing';
      }
      const all = appendPart(this.records.get(key), answer.body);
      if (all === undefined) {
        this.records.delete(key);
        continue;
      }
      this.records.set(key, all);
      return { part: answer.body, records: all.records };
    }
    return 'missing';
  }

  /** One peer's answer (any status), or undefined when it gave none in time. */
  private async askOne<T>(
    peer: Replica,
    path: string,
    query: URLSearchParams,
    parse: (text: string) => T,
  ): Promise<{ status: number; body: T | undefined } | undefined> {
    try {
      const answer = await this.get<T>(peer, path, query, parse);
      this.reachable(peer.id);
      return answer;
    } catch (err) {
      this.unreachable(peer.id, errorText(err));
      return undefined;
    }
  }

  /** One GET, its whole answer within the timeout. */
  private async get<T>(
    peer: Replica,
    path: string,
    query: URLSearchParams,
    parse: (text: string) => T,
  ): Promise<{ status: number; body: T | undefined }> {
    const req = await this.open(peer, path, query, this.timeoutMs);
    return new Promise((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            resolve({ status, body: undefined });
            return;
          }
          try {
            resolve({ status, body: parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (err) {
            reject(err);
          }
        });
      });
    });
  }

  /** Sends the request; `timeoutMs` > 0 bounds the whole exchange. */
  private async open(
    peer: Replica,
    path: string,
    query: URLSearchParams,
    timeoutMs: number,
  ): Promise<http.ClientRequest> {
    if (!peer.endpoint) throw new Error('its Lease names no endpoint');
    const q = new URLSearchParams(query);
    q.set(LOCAL_SCOPE_PARAM, LOCAL_SCOPE);
    const url = new URL(`${path}?${q}`, peer.endpoint);
    const token = await this.o.token();
    const req = https.request(url, {
      agent: this.agent,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      ...(timeoutMs > 0 && { signal: AbortSignal.timeout(timeoutMs) }),
    });
    req.end();
    return req;
  }

  private reachable(replica: string): void {
    if (this.down.delete(replica)) this.o.log.info({ replica }, 'peer replica answers again');
  }

  private unreachable(replica: string, why: string): void {
    if (this.down.has(replica)) return;
    this.down.add(replica);
    this.o.log.warn({ err: why, replica }, 'peer replica did not answer: reads are partial');
  }
}
