// observe: the operator's edge stream (api/edges-stream.ts) printed as it comes, a table
// line or a JSON line per edge (and again once its pod names its peer), until the trace
// ends or the user stops it.
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Edge, edgeKey } from '../api/edge.js';
import {
  type EdgesStreamEnd,
  type EdgesStreamLine,
  edgesStreamPath,
  SINCE_PARAM,
} from '../api/edges-stream.js';
import type { Coverage } from '../api/graph.js';
import { Backoff } from '../lib/backoff.js';
import type { Output } from './args.js';
import { edgeHeader, edgeRow } from './edge-row.js';
import { type OperatorEndpoint, OperatorRefusal, refusal } from './operator-endpoint.js';

export interface ObserveOptions {
  namespace: string;
  name: string;
  output: Output;
  sinceMs?: number;
  out: Writable;
  err: Writable;
}

// The operator ends a stream that was idle or open long (its bounds on streams), and a
// stream breaks when the operator restarts (a rollout, an upgrade). observe asks again
// for the edges first seen since it last heard from the operator, with a margin for edges
// an agent had not drained yet, and prints each edge once. After a break it asks at
// lib/backoff's pace, for up to two minutes.
const MARGIN_MS = 30_000;
const RESUME_FOR_MS = 120_000;
const SILENT_MS = 45_000;
const PACE = { initialMs: 500, maxMs: 10_000 };

interface Followed {
  /** `node/edgeKey` of the edges printed, with the remoteName each was printed with. */
  printed: Map<string, string | undefined>;
  /** When the operator last sent anything (an edge, a blank line). */
  heard: number;
  /** Called once each stream is open (the operator said 200). */
  opened(): void;
  /** The operator replicas the stream carries, when there are several. */
  covered(c: Coverage): void;
}

/** Resolves with the exit code once the stream ends: 0 when the trace ended, 1 when the stream broke. */
export async function observe(operator: OperatorEndpoint, o: ObserveOptions): Promise<number> {
  const trace = `${o.namespace}/${o.name}`;
  // The header once the operator has said yes: a refusal prints nothing on stdout.
  let header = o.output === 'table';
  let brokenAt: number | undefined;
  let missing = '';
  const backoff = new Backoff(PACE);
  const f: Followed = {
    printed: new Map(),
    heard: Date.now(),
    opened: () => {
      if (header) o.out.write(`${edgeHeader()}\n`);
      header = false;
      if (brokenAt !== undefined) o.err.write('the stream is back\n');
      brokenAt = undefined;
      backoff.reset();
    },
    covered: (c) => {
      // Said when it changes: a replica whose nodes' edges are missing, or back.
      const now = c.missing.join(', ');
      if (now === missing) return;
      o.err.write(
        now
          ? `partial: operator replicas ${now} did not answer; their nodes' edges are missing\n`
          : `every operator replica answers again (${c.answered.join(', ')})\n`,
      );
      missing = now;
    },
  };
  let sinceMs = o.sinceMs;
  for (;;) {
    let end: EdgesStreamEnd | 'broken';
    let why = 'the stream broke off';
    try {
      end = await follow(operator, o, sinceMs, f);
    } catch (err) {
      // A refusal ends observe, but for what a restarted operator says while it starts
      // (the trace not resumed yet: 404; caches not synced: 503).
      const starting =
        brokenAt !== undefined && err instanceof OperatorRefusal && err.status >= 404;
      if (err instanceof OperatorRefusal && !starting) throw err;
      end = 'broken';
      why = (err as Error).message;
    }
    if (end === 'stopped' || end === 'deleted') {
      o.err.write(`trace ${trace} ${end}\n`);
      return 0;
    }
    if (end === 'too slow') {
      o.err.write('the operator ended the stream: this client read too slowly\n');
      return 1;
    }
    sinceMs = Date.now() - f.heard + MARGIN_MS;
    // idle, lifetime: asked again at once.
    if (end !== 'shutdown' && end !== 'broken') continue;
    const now = Date.now();
    if (brokenAt === undefined) {
      brokenAt = now;
      o.err.write(
        `${end === 'shutdown' ? 'the operator is shutting down' : why}; asking ${operator.describe} again\n`,
      );
    } else if (now - brokenAt > RESUME_FOR_MS) {
      o.err.write(`no stream for ${RESUME_FOR_MS / 1000} s, giving up: ${why}\n`);
      return 1;
    } else o.err.write(`still no stream: ${why}\n`);
    await sleep(backoff.next());
  }
}

/** One request's stream, printed; resolves with how it ended. */
async function follow(
  operator: OperatorEndpoint,
  o: ObserveOptions,
  sinceMs: number | undefined,
  f: Followed,
): Promise<EdgesStreamEnd | 'broken'> {
  const since = sinceMs === undefined ? '' : `?${SINCE_PARAM}=${Math.ceil(sinceMs)}ms`;
  const res = await operator.request(`${edgesStreamPath(o.namespace, o.name)}${since}`);
  if (res.statusCode !== 200) throw await refusal(res, `observe ${o.namespace}/${o.name}`);
  f.opened();
  let buf = '';
  res.setEncoding('utf8');
  // A quiet stream still sends a blank line every 15 s: 45 s of nothing is a dead one.
  let watchdog = setTimeout(() => res.destroy(), SILENT_MS);
  try {
    for await (const chunk of res) {
      f.heard = Date.now();
      clearTimeout(watchdog);
      watchdog = setTimeout(() => res.destroy(), SILENT_MS);
      buf += chunk as string;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        // Blank lines keep a quiet stream open.
        if (text === '') continue;
        const line = JSON.parse(text) as EdgesStreamLine;
        if ('coverage' in line) {
          f.covered(line.coverage);
          continue;
        }
        if (!('edge' in line)) return line.end;
        const key = `${line.edge.node}/${edgeKey(line.edge)}`;
        // Again once named: a `named` line, or the replay after a break that missed it.
        const name = line.edge.remoteName;
        if (f.printed.has(key) && (!name || name === f.printed.get(key))) continue;
        f.printed.set(key, name);
        o.out.write(`${print(line.edge, o.output)}\n`);
      }
    }
  } catch {
    // The connection went (an aborted response): the caller asks again.
  } finally {
    clearTimeout(watchdog);
  }
  return 'broken';
}

const print = (e: Edge, output: Output) => (output === 'json' ? JSON.stringify(e) : edgeRow(e));
