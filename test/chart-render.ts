// The chart as `helm template` renders it, for the chart's unit tests: the real helm
// (hack/build-helm: built once from the Go module proxy into ~/.cache/netgraph, then found
// at once), no cluster, no test bed. Release `netgraph` in namespace `netgraph`, hooks
// included (the uninstall Job and its RBAC), parsed into objects.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const exec = promisify(execFile);

/** The namespace the chart is rendered into. */
export const NS = 'netgraph';

export interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
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
 * The chart rendered with these --set values, as objects; a value the chart or its
 * values.schema.json refuses throws, with helm's message.
 */
export async function render(...set: string[]): Promise<Doc[]> {
  const args = ['template', 'netgraph', join(root, 'charts/netgraph'), '-n', NS];
  for (const s of set) args.push('--set', s);
  const helm = await helmBinary();
  const { stdout } = await exec(helm, args, { maxBuffer: 64 << 20, timeout: 60_000 }).catch(
    (err) => {
      throw new Error(`helm template ${set.join(' ')}: ${err.stderr ?? err}`);
    },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJSON() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

/** The one object of this kind and name (the operator's by default); throws if absent. */
export const one = (docs: Doc[], kind: string, name = 'netgraph-operator'): Doc => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!d) throw new Error(`no ${kind}/${name} rendered`);
  return d;
};
