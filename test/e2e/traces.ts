// A user's operations on Traces, for e2e tests: read one, send an operation and
// wait until the operator has handled it, as `kubectl` would show it.
import { OPERATION_ANNOTATION, type Trace } from '../../api/trace.js';
import { kubectl, waitFor } from './testbed.js';

export async function getTrace(namespace: string, name: string): Promise<Trace> {
  return JSON.parse(await kubectl(['get', 'trace', '-n', namespace, name, '-o', 'json'])) as Trace;
}

/** Polls the Trace until `ok` holds for it. */
export function waitTrace(
  namespace: string,
  name: string,
  ok: (t: Trace) => boolean,
  what = `trace ${namespace}/${name}`,
): Promise<Trace> {
  return waitFor(
    async () => {
      const t = await getTrace(namespace, name);
      return ok(t) ? t : undefined;
    },
    { what, timeoutMs: 20_000 },
  );
}

/**
 * Annotates the Trace with an operation and waits until the operator has handled
 * it (the annotation is gone) and `ok` holds.
 */
export async function operate(
  namespace: string,
  name: string,
  operation: string,
  ok: (t: Trace) => boolean,
): Promise<Trace> {
  await kubectl([
    'annotate',
    '--overwrite',
    '-n',
    namespace,
    `trace/${name}`,
    `${OPERATION_ANNOTATION}=${operation}`,
  ]);
  return waitTrace(
    namespace,
    name,
    (t) =>
      t.metadata.annotations?.[OPERATION_ANNOTATION] === undefined &&
      t.status?.pendingOperation === undefined &&
      ok(t),
    `${operation} on trace ${namespace}/${name} handled`,
  );
}
