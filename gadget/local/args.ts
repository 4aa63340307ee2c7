// Options of `netgraph-gadget local`, parsed and checked. Pure: argv in,
// options out, or an Error with a one-line message.
import { parseArgs } from 'node:util';
import { ATTACH_MODES, type AttachMode } from '../../api/trace.js';
import { parseDuration } from '../../lib/duration.js';
import { DEFAULT_MAX_EDGES, flowsFor } from '../dataplane/tracer-defaults.js';

export const LOCAL_USAGE = `Usage: netgraph-gadget local [options]

Traces network namespaces on this machine, without Kubernetes, and prints their
edges (who talks to whom). Runs as root.

  --netns NAME|PATH   a namespace to trace: a name under /var/run/netns, or a path
                      such as /proc/<pid>/ns/net (repeatable). Default: every network
                      namespace on the machine except the host's own (name the host's
                      with --netns /proc/self/ns/net to trace it).
  --all               every network namespace on the machine, the host's own included
                      (ngraph's --all)
  --duration D        how long to trace, e.g. 10s, 2m (default 10s; with --textfile-dir,
                      until SIGTERM or SIGINT, as ngraph runs)
  --interval D        how often the kernel maps are drained (default 1s)
  --output json|table json: one line per new or changed edge at each interval, with
                      the edge contract's field names (default); table: an aligned
                      table of every edge at the end (with --textfile-dir: neither, unless
                      asked)
  --max-edges N       distinct edges kept, every namespace together (default ${DEFAULT_MAX_EDGES})
  --max-flows N       connections remembered, every namespace together (default 4 x --max-edges)
  --attach socket|tcx socket: a socket filter inside each namespace (default); tcx: TCX
                      programs on its host-side veth (kernel 6.6+), the socket filter
                      for a namespace without one (said on stderr)
  --textfile-dir DIR  also write ngraph's metrics (network_connections_input_total and
                      network_connections_output_total, labels src_ip, dest_ip, peer_hostname;
                      plus *_bytes_total) as DIR/ngraph.prom for node_exporter's textfile
                      collector, replaced whole (temporary file, then rename)
  --textfile-interval D  how often ngraph.prom is written (default 15s, as ngraph's --interval)
  -h, --help          this help

In the output, node is this host's name, pod the namespace's name, namespace is
empty (or "host" for the host's own namespace). Warnings (for example a full edge
map) are 'warn' events in json, lines on stderr with table.`;

export interface LocalOptions {
  help: boolean;
  netns: string[];
  durationMs: number;
  intervalMs: number;
  /** none: only the textfile (the default with --textfile-dir). */
  output: 'json' | 'table' | 'none';
  maxEdges: number;
  maxFlows: number;
  attach: AttachMode;
  /** Every namespace, the host's own included. */
  all: boolean;
  textfileDir?: string;
  textfileIntervalMs: number;
}

function count(text: string | undefined, flag: string, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1 << 24) {
    throw new Error(`${flag} must be a whole number from 1 to ${1 << 24}, not "${text}"`);
  }
  return n;
}

function attachMode(text: string | undefined): AttachMode {
  if (text === undefined) return 'socket';
  if (!(ATTACH_MODES as readonly string[]).includes(text))
    throw new Error(`--attach must be one of ${ATTACH_MODES.join(', ')}, not "${text}"`);
  return text as AttachMode;
}

export function parseLocalArgs(argv: string[]): LocalOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    // node's messages go on with advice about '--'; the first sentence says it.
    throw new Error(`${(err as Error).message.split('. ')[0]} (see --help)`);
  }
  const textfileDir = values['textfile-dir'];
  if (values.output !== undefined && values.output !== 'json' && values.output !== 'table') {
    throw new Error(`--output must be json or table, not "${values.output}"`);
  }
  const output = values.output ?? (textfileDir === undefined ? 'json' : 'none');
  if (textfileDir === '') throw new Error('--textfile-dir must name a folder');
  if (values.all && values.netns) throw new Error('--all and --netns exclude each other');
  // A textfile is for node_exporter to read for as long as it runs, as ngraph's.
  const durationMs =
    values.duration === undefined && textfileDir !== undefined
      ? Number.POSITIVE_INFINITY
      : parseDuration(values.duration ?? '10s', '--duration');
  const intervalMs = parseDuration(values.interval ?? '1s', '--interval');
  const textfileIntervalMs = parseDuration(
    values['textfile-interval'] ?? '15s',
    '--textfile-interval',
  );
  const maxEdges = count(values['max-edges'], '--max-edges', DEFAULT_MAX_EDGES);
  return {
    help: values.help ?? false,
    netns: values.netns ?? [],
    durationMs,
    intervalMs: Math.min(intervalMs, durationMs),
    output,
    maxEdges,
    maxFlows: count(values['max-flows'], '--max-flows', flowsFor(maxEdges)),
    attach: attachMode(values.attach),
    all: values.all ?? false,
    ...(textfileDir !== undefined && { textfileDir }),
    textfileIntervalMs,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      netns: { type: 'string', multiple: true },
      duration: { type: 'string' },
      interval: { type: 'string' },
      output: { type: 'string' },
      'max-edges': { type: 'string' },
      'max-flows': { type: 'string' },
      attach: { type: 'string' },
      all: { type: 'boolean' },
      'textfile-dir': { type: 'string' },
      'textfile-interval': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
