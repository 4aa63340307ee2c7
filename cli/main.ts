// kubectl netgraph: the kubectl plugin for netgraph (bin/kubectl-netgraph.js; kubectl
// runs any `kubectl-netgraph` on PATH as `kubectl netgraph`). It drives Traces as a user
// would by hand (annotations, then a watch), lists them with their nodes, prints their
// edges as they come from the operator, and serves the operator's graph page locally;
// the operator is reached through the API server with the kubeconfig's credentials
// (operator-endpoint.ts). Exit codes as kubectl's: 0 done, 1 failed, 2 bad usage.
import type { Writable } from 'node:stream';
import { isOperation } from '../api/trace.js';
import { type Invocation, parseInvocation, UsageError } from './args.js';
import { openBrowser } from './browser.js';
import { getTraces } from './get.js';
import { HELP } from './help.js';
import { kubeContext } from './kube-context.js';
import { observe } from './observe.js';
import { operate } from './operate.js';
import { connectOperator, type OperatorEndpoint } from './operator-endpoint.js';
import { startProxy } from './ui-proxy.js';
import { version } from './version.js';

interface Io {
  out: Writable;
  err: Writable;
  /** Resolves when the user asks to stop (Ctrl-C, SIGTERM). */
  interrupted: Promise<void>;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseInvocation(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err.write(
      `error: ${err.message}\nSee 'kubectl netgraph ${err.command === 'help' ? '' : `${err.command} `}--help'.\n`,
    );
    return 2;
  }
  if (inv.help) {
    io.out.write(`${HELP[inv.command]}\n`);
    return 0;
  }
  try {
    return await run(inv, io);
  } catch (err) {
    io.err.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function run(inv: Invocation, io: Io): Promise<number> {
  if (inv.command === 'version') {
    io.out.write(`${version()}\n`);
    return 0;
  }
  const ctx = kubeContext(inv);
  const name = inv.name ?? '';
  if (isOperation(inv.command)) {
    const result = await operate(ctx.kube, ctx.namespace, name, inv.command, inv.timeoutMs);
    for (const w of result.warnings) io.err.write(`warning: ${w}\n`);
    (result.ok ? io.out : io.err).write(`${result.ok ? '' : 'error: '}${result.text}\n`);
    return result.ok ? 0 : 1;
  }
  if (inv.command === 'get') {
    const got = await getTraces(ctx.kube, { ...inv, namespace: ctx.namespace }, Date.now());
    if (got.out) io.out.write(`${got.out}\n`);
    if (got.note) io.err.write(`${got.note}\n`);
    return 0;
  }
  const operator = await connectOperator(ctx, inv);
  if (operator.warning) io.err.write(`warning: ${operator.warning}\n`);
  try {
    if (inv.command === 'observe')
      return await Promise.race([
        observe(operator, { ...inv, namespace: ctx.namespace, name, out: io.out, err: io.err }),
        io.interrupted.then(() => 0),
      ]);
    return await ui(operator, inv, ctx.namespace, io);
  } finally {
    await operator.close();
  }
}

async function ui(
  operator: OperatorEndpoint,
  inv: Invocation,
  namespace: string,
  io: Io,
): Promise<number> {
  const proxy = await startProxy(operator, inv.port);
  const page = new URL(proxy.url);
  if (inv.name !== undefined) page.searchParams.set('trace', `${namespace}/${inv.name}`);
  io.out.write(`${page.href}\n`);
  io.err.write(`Serving the graph page of ${operator.describe}; Ctrl-C to stop.\n`);
  if (inv.open) openBrowser(page.href, (why) => io.err.write(`warning: ${why}\n`));
  await io.interrupted;
  await proxy.close();
  return 0;
}
