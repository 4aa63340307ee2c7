// Cilium's CiliumNetworkPolicy CRD on the test bed, so CiliumNetworkPolicies that
// `generate` writes (policyKind=cilium) are checked by the API server against Cilium's
// own schema (`kubectl apply --dry-run=server`). Only the schema: no Cilium runs here.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubectl, repoRoot, waitFor } from './testbed.js';

const run = promisify(execFile);
const CRD = 'ciliumnetworkpolicies.cilium.io';

/** Applies the CRD from Cilium's Go module (hack/fetch-cilium-crd, cached) and waits until it is served. */
export async function applyCiliumCrd(): Promise<void> {
  const { stdout } = await run(join(repoRoot, 'hack/fetch-cilium-crd'), [], { timeout: 600_000 });
  const path = stdout.trim().split('\n').at(-1) as string;
  // Server-side: the CRD is larger than client-side apply's last-applied annotation may be.
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', path]);
  await waitFor(
    async () =>
      (
        await kubectl([
          'get',
          'crd',
          CRD,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Established")].status}',
        ])
      ).trim() === 'True',
    { what: `CRD ${CRD} established` },
  );
}

/** Each document of a multi-document YAML passes the server's dry-run; returns what kubectl names. */
export async function dryRun(docs: readonly object[]): Promise<string[]> {
  const names: string[] = [];
  for (const d of docs)
    names.push(
      (
        await kubectl(['apply', '--dry-run=server', '-o', 'name', '-f', '-'], {
          input: JSON.stringify(d),
        })
      ).trim(),
    );
  return names;
}
