// CiliumNetworkPolicy advice (policyKind=cilium) checked against Cilium's own schema:
// Cilium's CRD, taken from its Go module (hack/fetch-cilium-crd), applied to the test
// bed's API server, then every policy of the generator's Cilium golden case (toFQDNs for
// names the pods looked up, the DNS rule, endpoints across namespaces, address blocks,
// deny-all `[{}]`) passes `kubectl apply --dry-run=server`; a policy the schema refuses
// is refused, so the check is real. test/e2e/dns-names.test.ts does the same with what
// `generate` writes from a live trace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyCiliumCrd, dryRun } from './cilium.js';
import { prepareTestbed } from './on-testbed.js';
import { kubectl, repoRoot } from './testbed.js';

const NS = 'cilium-advice';

/** The documents of a multi-document YAML, each moved to namespace `ns`. */
function inNamespace(yaml: string, ns: string): Record<string, unknown>[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as { metadata: { namespace: string } } | null)
    .filter((d) => d !== null)
    .map((d) => ({ ...d, metadata: { ...d.metadata, namespace: ns } }));
}

beforeAll(async () => {
  await prepareTestbed({ namespaces: [NS] });
  await applyCiliumCrd();
}, 900_000);

afterAll(async () => {
  await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

describe("CiliumNetworkPolicy advice against Cilium's CRD", () => {
  it('every policy of the Cilium golden case passes the server dry-run', async () => {
    const golden = readFileSync(
      join(repoRoot, 'operator/policy/testdata/external-named-cilium.yaml'),
      'utf8',
    );
    const docs = inNamespace(golden, NS);
    expect(docs.map((d) => d.kind)).toEqual(Array(3).fill('CiliumNetworkPolicy'));
    expect(golden).toMatch(/toFQDNs:/);
    expect(await dryRun(docs)).toEqual([
      'ciliumnetworkpolicy.cilium.io/crawler-netgraph',
      'ciliumnetworkpolicy.cilium.io/client-netgraph',
      'ciliumnetworkpolicy.cilium.io/server-netgraph',
    ]);
  });

  it('a policy outside the schema is refused, naming the field', async () => {
    const bad = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'bad', namespace: NS },
      spec: {
        endpointSelector: {},
        egress: [{ toFQDNs: [{ matchName: 'not a name!' }] }],
      },
    };
    const refused = kubectl(['apply', '--dry-run=server', '-f', '-'], {
      input: JSON.stringify(bad),
    });
    await expect(refused).rejects.toThrow(/matchName/);
  });
});
