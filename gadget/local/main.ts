// gadget/local: `netgraph-gadget local` traces network namespaces on this machine
// with no Kubernetes, and prints their edges as JSON lines or a table, or writes them
// as ngraph's node_exporter textfile.
//
// The room: main.ts (the command), args.ts (its flags, pure) and textfile.ts (ngraph.prom).
import { hostname } from 'node:os';
import { type Edge, edgeKey, edgeToJSON } from '../../api/edge.js';
import { probeOwners } from '../dataplane/connect-owners.js';
import { renderTable } from '../dataplane/edge-table.js';
import { listNetns, type NetnsRef } from '../dataplane/netns.js';
import { openTracers, type Tracer } from '../dataplane/tracer.js';
import { LOCAL_USAGE, parseLocalArgs } from './args.js';
import { renderTextfile, writeTextfile } from './textfile.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Output = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Exit code; throws an Error with a one-line message on bad input. */
export async function runLocal(argv: string[], io: Output = stdio): Promise<number> {
  const opts = parseLocalArgs(argv);
  if (opts.help) {
    io.out(LOCAL_USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    throw new Error('local must run as root: it loads BPF programs and enters network namespaces');
  }
  const { textfileDir } = opts;
  // A folder that cannot take the file is refused now, not at the first interval.
  if (textfileDir !== undefined)
    await writeTextfile(textfileDir, await renderTextfile([], () => '')).catch((err: Error) => {
      throw new Error(`--textfile-dir ${textfileDir}: ${err.message}`);
    });
  const explicit = opts.netns.length > 0;
  const refs: NetnsRef[] = explicit
    ? opts.netns
    : (await listNetns()).filter((n) => opts.all || !n.host);
  if (refs.length === 0) {
    throw new Error("no network namespace to trace (the host's own is skipped: use --netns)");
  }
  const opened = await openTracers(refs, {
    maxEdges: opts.maxEdges,
    maxFlows: opts.maxFlows,
    attach: opts.attach,
  });
  const tracers = [...new Set(opened.filter((t): t is Tracer => !(t instanceof Error)))];
  const failed = opened.flatMap((t, i) => (t instanceof Error ? [{ ref: refs[i], err: t }] : []));
  if (explicit && failed[0]) {
    for (const t of tracers) t.close();
    throw failed[0].err;
  }
  // Namespaces found by the scan may be gone by attach time: say so and go on.
  for (const f of failed) io.err(`netgraph-gadget: skipped a namespace: ${f.err.message}`);
  if (tracers.length === 0) throw new Error('could not attach to any network namespace');
  for (const t of tracers) if (t.warning) io.err(`netgraph-gadget: ${t.warning}`);
  const noOwners = probeOwners();
  if (noOwners) io.err(`netgraph-gadget: edges will carry no pid and comm: ${noOwners}`);

  const node = hostname();
  const edges = new Map<string, Edge>();
  const drain = () => {
    for (const t of tracers) {
      const base = {
        node,
        namespace: t.netns.host ? 'host' : '',
        pod: t.netns.name,
        podIP: t.netns.addrs.find((a) => !a.includes(':')) ?? t.netns.addrs[0],
      };
      for (const e of t.drain()) {
        const edge: Edge = { ...base, ...e };
        if (edge.type === 'normal') edges.set(edgeKey(edge), edge);
        if (opts.output === 'json') io.out(JSON.stringify(edgeToJSON(edge)));
        else if (edge.type !== 'normal') io.err(`netgraph-gadget: ${edge.pod}: ${edge.message}`);
      }
    }
  };

  // ngraph's peer_hostname: the name of the traced namespace that holds the peer address.
  const names = new Map<string, string>();
  for (const t of tracers) for (const a of t.netns.addrs) names.set(a, t.netns.name);
  let writing = Promise.resolve();
  const writeMetrics = () => {
    if (textfileDir === undefined) return writing;
    writing = writing
      .then(async () => {
        const text = await renderTextfile(edges.values(), (ip) => names.get(ip) ?? '');
        await writeTextfile(textfileDir, text);
      })
      .catch((err: Error) => io.err(`netgraph-gadget: writing the textfile: ${err.message}`));
    return writing;
  };

  try {
    await new Promise<void>((resolve) => {
      const timer = setInterval(drain, opts.intervalMs);
      const textfileTimer =
        textfileDir === undefined ? undefined : setInterval(writeMetrics, opts.textfileIntervalMs);
      const stop = () => {
        clearInterval(timer);
        clearInterval(textfileTimer);
        clearTimeout(end);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      // Without an end (a textfile written until stopped) only a signal stops it.
      const end = Number.isFinite(opts.durationMs) ? setTimeout(stop, opts.durationMs) : undefined;
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    drain();
    await writeMetrics();
  } finally {
    for (const t of tracers) t.close();
  }
  if (opts.output === 'table') io.out(renderTable([...edges.values()]));
  return 0;
}
