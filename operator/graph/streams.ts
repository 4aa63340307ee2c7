// The graph API's live streams (server-sent events), bounded so that clients cannot
// exhaust the operator: at most so many streams in all and per identity (more: 429), a
// stream whose client does not read (its unsent bytes past a bound) is cut, one that sent
// nothing for a while is ended, and every stream ends after a maximum lifetime (the
// browser's EventSource reconnects, and is counted again). Streams of the same trace and
// parameters share one watch: the graph is computed once per change for all of them, and
// each frame is serialized once. A graph gathered from peer replicas is computed
// asynchronously, and looked at every interval (this replica cannot see their changes).
import type { ServerResponse } from 'node:http';
import { type GraphAnswer, type GraphUpdate, STREAM_EVENTS } from '../../api/graph.js';
import { sendJSON } from '../../lib/http-server.js';
import type { Logger } from '../../lib/log.js';
import { type Slot, StreamSlots } from '../../lib/stream-slots.js';
import { binOf } from '../history/bin-log.js';
import { type buildGraph, diff } from './graph.js';

export interface StreamLimits {
  /** Live streams in all (default 256). */
  maxStreams: number;
  /** Live streams of one identity (default 16). */
  maxPerIdentity: number;
  /** A stream whose client left this many bytes unread when the next frame is due is cut (default 8 MiB). */
  maxUnsentBytes: number;
  /** A stream that sent no event for this long is ended (ms, default 10 minutes). */
  idleMs: number;
  /** Every stream ends after this long (ms, default 1 hour). */
  maxLifetimeMs: number;
  /** How often a watch looks for changes (ms, default 1000). */
  intervalMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxStreams: 256,
  maxPerIdentity: 16,
  maxUnsentBytes: 8 * 1024 * 1024,
  idleMs: 10 * 60_000,
  maxLifetimeMs: 60 * 60_000,
  intervalMs: 1000,
};

/** A graph as computed for a stream: the graph itself and the answer sent for it. */
export type Computed = ReturnType<typeof buildGraph> & { body: GraphAnswer };

/** What a watch follows: a trace's graph for one set of parameters. */
export interface StreamSource {
  /** Grows with every change; undefined when unknown (peers' parts): then every interval looks. */
  version(): number | undefined;
  /** A running trace's window slides with time even without traffic. */
  running(): boolean;
  compute(): Computed | Promise<Computed>;
}

interface Stream {
  res: ServerResponse;
  slot: Slot;
  identity: string;
  opened: number;
  lastEvent: number;
}

/** One trace and parameters, watched for all the streams that asked for the same. */
interface Watch {
  key: string;
  source: StreamSource;
  /** Undefined until the first graph is computed (`ready`). */
  last?: Computed;
  ready: Promise<void>;
  /** A computation is under way: the next interval does not start another. */
  busy: boolean;
  /** The `graph` frame of `last`, serialized once for every stream that joins. */
  graphFrame?: string;
  version: number | undefined;
  bin: number;
  quiet: number;
  streams: Set<Stream>;
  timer: ReturnType<typeof setInterval>;
}

export type StreamEnd = 'too slow' | 'idle' | 'lifetime' | 'operator stopping' | 'failed';

const frame = (event: keyof typeof STREAM_EVENTS, data: GraphAnswer | GraphUpdate) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class GraphStreams {
  private readonly limits: StreamLimits;
  private readonly watches = new Map<string, Watch>();
  private readonly slots: StreamSlots;
  private open = 0;
  /** Graphs computed for streams, for the test that they are shared. */
  computations = 0;

  constructor(
    private readonly log: Logger,
    limits: Partial<StreamLimits> = {},
    private readonly now: () => number = Date.now,
    /** Shared with the port's other kinds of stream, so the bound is on all of them. */
    slots?: StreamSlots,
  ) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits };
    this.slots = slots ?? new StreamSlots(this.limits);
  }

  stats(): { streams: number; watches: number; computations: number } {
    return { streams: this.open, watches: this.watches.size, computations: this.computations };
  }

  /**
   * Starts a stream of `source` (`key`: its trace and parameters, the same graph for every
   * stream of it) for `identity` on `res`, or answers 429 when a limit is reached.
   */
  start(res: ServerResponse, identity: string, key: string, source: StreamSource): void {
    const slot = this.slots.take(identity);
    if ('refused' in slot) {
      res.setHeader('retry-after', '10');
      sendJSON(res, 429, { error: slot.refused });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.socket?.setTimeout(0);
    const now = this.now();
    const s: Stream = { res, slot, identity, opened: now, lastEvent: now };
    this.open++;
    const w = this.watch(key, source);
    w.streams.add(s);
    res.on('close', () => this.closed(w, s));
    void w.ready.then(() => {
      if (!w.streams.has(s) || w.last === undefined) return;
      w.graphFrame ??= frame(STREAM_EVENTS.graph, w.last.body);
      this.send(w, s, w.graphFrame);
    });
  }

  /** Ends every stream (the operator stops). */
  closeAll(): void {
    for (const w of [...this.watches.values()])
      for (const s of [...w.streams]) this.end(w, s, 'operator stopping');
  }

  private watch(key: string, source: StreamSource): Watch {
    const known = this.watches.get(key);
    if (known) return known;
    this.computations++;
    const w: Watch = {
      key,
      source,
      ready: Promise.resolve(),
      busy: true,
      version: source.version(),
      bin: binOf(this.now()),
      quiet: 0,
      streams: new Set(),
      timer: setInterval(() => this.tick(w), this.limits.intervalMs),
    };
    w.ready = this.computed(w, (next) => {
      w.last = next;
    });
    this.watches.set(key, w);
    return w;
  }

  /** Computes the watch's graph and hands it to `then`; a failure ends its streams. */
  private async computed(w: Watch, then: (c: Computed) => void): Promise<void> {
    try {
      then(await w.source.compute());
    } catch (err) {
      this.log.error({ err, watch: w.key }, 'graph stream could not compute its graph');
      for (const s of [...w.streams]) this.end(w, s, 'failed');
    } finally {
      w.busy = false;
    }
  }

  private tick(w: Watch): void {
    const now = this.now();
    for (const s of [...w.streams])
      if (now - s.opened >= this.limits.maxLifetimeMs) this.end(w, s, 'lifetime');
    const updated = w.streams.size > 0 ? this.update(w, now) : undefined;
    // Idle: nothing sent for idleMs, this tick's update included.
    void Promise.resolve(updated).then(() => {
      for (const s of [...w.streams])
        if (now - s.lastEvent >= this.limits.idleMs) this.end(w, s, 'idle');
    });
  }

  /** Sends what changed since the last look, to every stream of the watch. */
  private update(w: Watch, now: number): Promise<void> | undefined {
    if (w.busy) return;
    // A running trace's window slides every bin even without new traffic.
    const bin = binOf(now);
    const slid = w.source.running() && bin !== w.bin;
    const version = w.source.version();
    if (version !== undefined && version === w.version && !slid) {
      this.quiet(w);
      return;
    }
    w.version = version;
    w.bin = bin;
    w.busy = true;
    this.computations++;
    return this.computed(w, (next) => {
      const last = w.last;
      w.last = next;
      w.graphFrame = undefined;
      if (last === undefined) return;
      const update = diff(last.graph, next.graph);
      const { answered, missing, partial } = next.body;
      const covered = JSON.stringify([answered, missing]);
      const changes =
        update.entities.length +
        update.edges.length +
        update.removedEdges.length +
        update.removedEntities.length +
        (covered === JSON.stringify([last.body.answered, last.body.missing]) ? 0 : 1);
      if (changes === 0) {
        this.quiet(w);
        return;
      }
      const text = frame(STREAM_EVENTS.update, {
        ...update,
        state: next.body.state,
        to: next.body.to,
        answered,
        missing,
        ...(partial && { partial }),
      });
      for (const s of [...w.streams]) this.send(w, s, text);
    });
  }

  /** A comment now and then keeps proxies (kubectl port-forward) from closing a quiet stream. */
  private quiet(w: Watch): void {
    if (++w.quiet % 15 === 0) for (const s of w.streams) s.res.write(': idle\n\n');
  }

  /** Writes an event, unless the client left more than the bound unread: then it is cut. */
  private send(w: Watch, s: Stream, text: string): void {
    if (s.res.writableLength > this.limits.maxUnsentBytes) {
      this.end(w, s, 'too slow');
      return;
    }
    s.res.write(text);
    s.lastEvent = this.now();
  }

  /** Ends a stream: out of its watch at once (nothing more is written to it), then closed. */
  private end(w: Watch, s: Stream, why: StreamEnd): void {
    this.closed(w, s);
    this.log.info(
      { identity: s.identity, why, unsentBytes: s.res.writableLength },
      'graph stream ended',
    );
    // A client that does not read cannot be sent a clean end either.
    if (why === 'too slow') s.res.destroy();
    else s.res.end();
  }

  private closed(w: Watch, s: Stream): void {
    if (!w.streams.delete(s)) return;
    this.open--;
    s.slot.release();
    if (w.streams.size === 0) {
      clearInterval(w.timer);
      this.watches.delete(w.key);
    }
  }
}
