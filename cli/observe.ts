// observe: the operator's edge stream (api/edges-stream.ts) printed as it comes, a table
// line or a JSON line per edge, until the trace ends or the user stops it.
import type { Writable } from 'node:stream';
import type { Edge } from '../api/edge.js';
import { type EdgesStreamLine, edgesStreamPath, SINCE_PARAM } from '../api/edges-stream.js';
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

/** Resolves with the exit code once the stream ends: 0 when the trace ended, 1 when the stream broke. */
export async function observe(operator: OperatorEndpoint, o: ObserveOptions): Promise<number> {
  const trace = `${o.namespace}/${o.name}`;
  const since = o.sinceMs === undefined ? '' : `?${SINCE_PARAM}=${o.sinceMs}ms`;
  const res = await operator.request(`${edgesStreamPath(o.namespace, o.name)}${since}`);
  if (res.statusCode !== 200) throw await refusal(res, `observe ${trace}`);
  if (o.output === 'table') o.out.write(`${edgeHeader()}\n`);
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
      if ('edge' in line) o.out.write(`${print(line.edge, o.output)}\n`);
      else {
        const ended = line.end === 'stopped' || line.end === 'deleted';
        o.err.write(
          ended
            ? `trace ${trace} ${line.end}\n`
            : `the operator ended the stream: ${line.end === 'shutdown' ? 'it is shutting down' : 'this client read too slowly'}\n`,
        );
        return ended ? 0 : 1;
      }
    }
  }
  o.err.write(`the stream from ${operator.describe} broke off\n`);
  return 1;
}

const print = (e: Edge, output: Output) => (output === 'json' ? JSON.stringify(e) : edgeRow(e));
