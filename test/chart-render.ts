// The chart as `helm template` renders it for release `netgraph`, hooks included (the
// uninstall Job and its RBAC), parsed into objects: for the chart's unit tests (no
// cluster, no test bed) and for what e2e files apply without helm, check against Pod
// Security, or clear before a `helm install`. The real helm: hack/build-helm, built once
// from the Go module proxy into ~/.cache/netgraph, then found at once.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const exec = promisify(execFile);

/** The namespace the chart is rendered into. */
export const NS = 'netgraph';

/** What every rendered object has; a caller reads the rest as the type it asks for. */
export interface ChartDoc {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
}

export interface Doc extends ChartDoc {
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests, read by path
  [k: string]: any;
}

let built: Promise<string> | undefined;

/**
 * The helm binary's path. The first call may build it (minutes, once per machine): call it
 * in a beforeAll with a long timeout so no test's own timeout runs meanwhile.
 */
export function helmBinary(): Promise<string> {
  built ??= exec(join(root, 'hack/build-helm'), [], { maxBuffer: 64 << 20, timeout: 1_200_000 })
    .then(({ stdout }) => stdout.trim().split('\n').at(-1) ?? '')
    .catch((err) => {
      built = undefined;
      throw new Error(`hack/build-helm: ${String(err.stderr ?? err).slice(-2000)}`);
    });
  return built;
}

/**
 * The chart rendered into `namespace` (helm's default when undefined) with these --set
 * values, as objects; a value the chart or its values.schema.json refuses throws, with
 * helm's message.
 */
export async function renderChart<T extends ChartDoc = Doc>(
  namespace: string | undefined,
  ...set: string[]
): Promise<T[]> {
  const args = ['template', 'netgraph', join(root, 'charts/netgraph')];
  if (namespace) args.push('-n', namespace);
  for (const s of set) args.push('--set', s);
  const helm = await helmBinary();
  const { stdout } = await exec(helm, args, { maxBuffer: 64 << 20, timeout: 60_000 }).catch(
    (err) => {
      throw new Error(`helm template ${set.join(' ')}: ${err.stderr ?? err}`);
    },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJSON() as T | null)
    .filter((d): d is T => d !== null);
}

/** The chart rendered into NS with these --set values. */
export const render = (...set: string[]): Promise<Doc[]> => renderChart(NS, ...set);

/** The one object of this kind and name (the operator's by default); throws if absent. */
export const one = (docs: Doc[], kind: string, name = 'netgraph-operator'): Doc => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!d) throw new Error(`no ${kind}/${name} rendered`);
  return d;
};
