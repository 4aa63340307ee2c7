// observe: the operator's edge stream (api/edges-stream.ts) printed as it comes, a table
// line or a JSON line per edge, until the trace ends or the user stops it.
import type { Writable } from 'node:stream';
import { type Edge, edgeKey } from '../api/edge.js';
import {
  type EdgesStreamEnd,
  type EdgesStreamLine,
  edgesStreamPath,
  SINCE_PARAM,
} from '../api/edges-stream.js';
import type { Output } from './args.js';
import { edgeHeader, edgeRow } from './edge-row.js';
import { type OperatorEndpoint, refusal } from './operator-endpoint.js';

export interface ObserveOptions {
  namespace: string;
  name: string;
  output: Output;
  sinceMs?: number;
  out: Writable;
  err: Writable;
}

// The operator ends a stream that was idle or open long (its bounds on streams): observe
// then asks again for the edges first seen since, with a margin for edges an agent had
// not drained yet, and prints each edge once.
const RECONNECT_SINCE_MS = 30_000;

/** Resolves with the exit code once the stream ends: 0 when the trace ended, 1 when the stream broke. */
export async function observe(operator: OperatorEndpoint, o: ObserveOptions): Promise<number> {
  const trace = `${o.namespace}/${o.name}`;
  const printed = new Set<string>();
  // The header once the operator has said yes: a refusal prints nothing on stdout.
  let header = o.output === 'table';
  const opened = () => {
    if (header) o.out.write(`${edgeHeader()}\n`);
    header = false;
  };
  let sinceMs = o.sinceMs;
  for (;;) {
    const end = await follow(operator, o, sinceMs, printed, opened);
    if (end === 'idle' || end === 'lifetime') {
      sinceMs = RECONNECT_SINCE_MS;
      continue;
    }
    if (end === 'stopped' || end === 'deleted') {
      o.err.write(`trace ${trace} ${end}\n`);
      return 0;
    }
    o.err.write(
      end === 'shutdown'
        ? 'the operator ended the stream: it is shutting down\n'
        : end === 'too slow'
          ? 'the operator ended the stream: this client read too slowly\n'
          : `the stream from ${operator.describe} broke off\n`,
    );
    return 1;
  }
}

/** One request's stream, printed; resolves with how it ended. */
async function follow(
  operator: OperatorEndpoint,
  o: ObserveOptions,
  sinceMs: number | undefined,
  printed: Set<string>,
  opened: () => void,
): Promise<EdgesStreamEnd | 'broken'> {
  const since = sinceMs === undefined ? '' : `?${SINCE_PARAM}=${sinceMs}ms`;
  const res = await operator.request(`${edgesStreamPath(o.namespace, o.name)}${since}`);
  if (res.statusCode !== 200) throw await refusal(res, `observe ${o.namespace}/${o.name}`);
  opened();
  let buf = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    buf += chunk as string;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      // Blank lines keep a quiet stream open.
      if (text === '') continue;
      const line = JSON.parse(text) as EdgesStreamLine;
      if (!('edge' in line)) return line.end;
      const key = `${line.edge.node}/${edgeKey(line.edge)}`;
      if (printed.has(key)) continue;
      printed.add(key);
      o.out.write(`${print(line.edge, o.output)}\n`);
    }
  }
  return 'broken';
}

const print = (e: Edge, output: Output) => (output === 'json' ? JSON.stringify(e) : edgeRow(e));
