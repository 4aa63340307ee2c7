// get: Traces from the API server, as a table of their nodes (trace-table.ts) or JSON.
import { GROUP, PLURAL, TRACES_PATH, type Trace, traceObjectPath, VERSION } from '../api/trace.js';
import { isNotFound, type KubeClient } from '../lib/kube.js';
import type { Output } from './args.js';
import { traceTable } from './trace-table.js';

export interface GetOptions {
  namespace: string;
  allNamespaces: boolean;
  name?: string;
  output: Output;
}

/** What to print on stdout, and on stderr when nothing was found. */
export async function getTraces(
  kube: KubeClient,
  o: GetOptions,
  now: number,
): Promise<{ out: string; note?: string }> {
  if (o.name !== undefined) {
    let t: Trace;
    try {
      t = await kube.get<Trace>(traceObjectPath(o.namespace, o.name));
    } catch (err) {
      if (isNotFound(err)) throw new Error(`trace ${o.namespace}/${o.name} not found`);
      throw err;
    }
    return { out: o.output === 'json' ? JSON.stringify(t, null, 2) : traceTable([t], false, now) };
  }
  const path = o.allNamespaces
    ? TRACES_PATH
    : `/apis/${GROUP}/${VERSION}/namespaces/${o.namespace}/${PLURAL}`;
  const list = await kube.list<Trace>(path);
  if (o.output === 'json')
    return { out: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: list.items }, null, 2) };
  if (list.items.length === 0)
    return {
      out: '',
      note: o.allNamespaces ? 'No Traces found.' : `No Traces found in ${o.namespace} namespace.`,
    };
  return { out: traceTable(list.items, o.allNamespaces, now) };
}
