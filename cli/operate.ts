// start, stop, generate: the annotation kubectl users would write by hand, then a watch
// on the Trace until the operator has handled it.
import {
  GROUP,
  OPERATION_ANNOTATION,
  type Operation,
  PLURAL,
  type Trace,
  traceObjectPath,
  VERSION,
} from '../api/trace.js';
import { isGone, isNotFound, type KubeClient } from '../lib/kube.js';
import { handled, type Outcome, outcome } from './operation-outcome.js';

export async function operate(
  kube: KubeClient,
  namespace: string,
  name: string,
  op: Operation,
  timeoutMs: number,
): Promise<Outcome> {
  const path = traceObjectPath(namespace, name);
  let annotated: Trace;
  try {
    annotated = await kube.mergePatch<Trace>(path, {
      metadata: { annotations: { [OPERATION_ANNOTATION]: op } },
    });
  } catch (err) {
    if (isNotFound(err)) throw new Error(`trace ${namespace}/${name} not found`);
    throw err;
  }
  const done = await waitHandled(kube, annotated, op, timeoutMs);
  return outcome(done, op);
}

/** Watches the Trace from the annotation's resourceVersion until the annotation is gone. */
async function waitHandled(
  kube: KubeClient,
  annotated: Trace,
  op: Operation,
  timeoutMs: number,
): Promise<Trace> {
  const { namespace, name } = annotated.metadata;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  let latest = annotated;
  try {
    while (!handled(latest, op) && !stop.signal.aborted) {
      let gone = false;
      const watched = kube.watch<Trace>(
        `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
        {
          fieldSelector: `metadata.name=${name}`,
          resourceVersion: latest.metadata.resourceVersion,
          allowWatchBookmarks: true,
        },
        (type, t) => {
          if (type === 'DELETED') gone = true;
          else if (type === 'ADDED' || type === 'MODIFIED') latest = t;
          if (gone || handled(latest, op)) stop.abort();
        },
        stop.signal,
      );
      // Our resourceVersion is too old to watch from: read the Trace as it is now.
      await watched.catch(async (err: unknown) => {
        if (!isGone(err)) throw err;
        latest = await kube.get<Trace>(traceObjectPath(namespace, name));
      });
      if (gone) throw new Error(`trace ${namespace}/${name} was deleted while waiting`);
    }
  } finally {
    clearTimeout(timer);
  }
  if (!handled(latest, op))
    throw new Error(
      `the operator did not handle ${op} on ${namespace}/${name} within ${timeoutMs / 1000}s: is it running? (kubectl get pods -A -l app.kubernetes.io/name=netgraph)`,
    );
  return latest;
}
