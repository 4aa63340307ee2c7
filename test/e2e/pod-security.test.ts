import { beforeAll, describe, expect, it } from 'vitest';
import { type ChartDoc, renderChart } from '../chart-render.js';
import { kubectl } from './testbed.js';

interface Doc extends ChartDoc {
  spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } };
}

let rendered: Doc[] = [];

/** A Pod made from a rendered workload's template, as its controller would make it. */
function podOf(kind: string, namespace: string): string {
  const doc = rendered.find((d) => d.kind === kind);
  if (!doc) throw new Error(`no ${kind} in the chart`);
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${doc.metadata.name}-psa`, namespace },
    spec: doc.spec.template.spec,
  });
}

async function namespace(name: string, level: string): Promise<void> {
  await kubectl(['create', 'namespace', name]).catch(() => {});
  await kubectl([
    'label',
    '--overwrite',
    'namespace',
    name,
    `pod-security.kubernetes.io/enforce=${level}`,
    'pod-security.kubernetes.io/enforce-version=latest',
  ]);
  for (const sa of ['netgraph-operator', 'netgraph-gadget']) {
    await kubectl(['create', 'serviceaccount', '-n', name, sa]).catch(() => {});
  }
}

const dryRun = (kind: string, ns: string) =>
  kubectl(['create', '--dry-run=server', '-f', '-'], { input: podOf(kind, ns) });

beforeAll(async () => {
  rendered = await renderChart<Doc>(undefined);
  await namespace('psa-restricted', 'restricted');
  await namespace('psa-privileged', 'privileged');
}, 1_200_000);

describe('Pod Security admission', () => {
  it('the operator pod passes "restricted"', async () => {
    await expect(dryRun('Deployment', 'psa-restricted')).resolves.toMatch(
      /created \(server dry run\)/,
    );
  });

  it('the agent pod is refused by "restricted" for exactly the host access it needs', async () => {
    const err = await dryRun('DaemonSet', 'psa-restricted').then(
      () => '',
      (e: Error) => e.message,
    );
    expect(err).toMatch(/violates PodSecurity "restricted:latest"/);
    // Each one is explained in the README (Reliability and security): host namespaces
    // to find pods' network namespaces and be reached at the node's address, the
    // netns directory, the capabilities, and root (which SYS_ADMIN implies, and with
    // it allowPrivilegeEscalation, which Kubernetes refuses to set false with SYS_ADMIN).
    const needs = [
      /host namespaces \(hostNetwork=true, hostPID=true\)/,
      // A named port (its liveness probe's) of a hostNetwork pod is a host port.
      /hostPort \(container \\?"gadget\\?" uses hostPort 9478\)/,
      /allowPrivilegeEscalation != false/,
      /unrestricted capabilities \(container \\?"gadget\\?" must not include \\?"BPF\\?", \\?"NET_ADMIN\\?", \\?"NET_RAW\\?", \\?"PERFMON\\?", \\?"SYS_ADMIN\\?", \\?"SYS_PTRACE\\?", \\?"SYS_RESOURCE\\?" in/,
      /restricted volume types \(volume \\?"netns\\?" uses restricted volume type \\?"hostPath\\?"\)/,
      /runAsNonRoot != true/,
    ];
    for (const need of needs) expect(err).toMatch(need);
    // Nothing else: it runs without privileged: true, and under the runtime's default
    // seccomp profile (restricted asks for one; real-node.test.ts runs the agent with it).
    expect(err).not.toMatch(/seccompProfile/);
    const reasons = err.replace(/.*violates PodSecurity "restricted:latest": /s, '');
    expect(reasons.split(/\), (?=[a-z])/).length).toBe(needs.length);
    expect(err).not.toMatch(/privileged \(container/);
  });

  it('the agent pod is admitted where the namespace allows "privileged"', async () => {
    await expect(dryRun('DaemonSet', 'psa-privileged')).resolves.toMatch(
      /created \(server dry run\)/,
    );
  });
});
