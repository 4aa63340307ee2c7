// The chart as `helm template` renders it for release `netgraph`, parsed into objects: what
// e2e files apply without helm (RBAC, admission policies), check against Pod Security, or
// clear before a `helm install`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './testbed.js';

/** What every rendered object has; a caller reads the rest as the type it asks for. */
export interface ChartDoc {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
}

/** The chart rendered by `helm` into `namespace` (helm's default namespace when none). */
export async function renderChart<T extends ChartDoc = ChartDoc>(
  helm: string,
  namespace?: string,
): Promise<T[]> {
  const { stdout } = await promisify(execFile)(
    helm,
    [
      'template',
      'netgraph',
      join(repoRoot, 'charts/netgraph'),
      ...(namespace ? ['-n', namespace] : []),
    ],
    { maxBuffer: 64 << 20, timeout: 60_000 },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJSON() as T | null)
    .filter((d): d is T => d !== null);
}
