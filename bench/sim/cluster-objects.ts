// The simulated cluster's objects on the test bed's apiserver, written in bulk: a Ready
// Node per simulated node (InternalIP 127.0.0.1, where its agent listens) and a Running
// Pod per simulated pod, as test/e2e/testbed-objects.ts shapes them, with no network
// wired (the agents are simulated). All carry SCALE_LABEL, so a run removes what an
// earlier, interrupted one left.

import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_LEASE_LABEL, agentLeasesPath, type Lease } from '../../api/agent.js';
import type { Pod } from '../../gadget/agent/agent.js';
import { isNotFound, type Kube } from '../../lib/kube.js';
import {
  createPod,
  ensureNamespace,
  kubeVersion,
  nodeObject,
  nodeStatus,
  podObject,
  podStatus,
  type SimulatedPod,
} from '../../test/e2e/testbed-objects.js';
import { pool } from '../lib/pool.js';
import { isSimNode, type SimPod } from './traffic.js';

export const SCALE_LABEL = 'netgraph.dev/scale-bench';
/** Every simulated node's address: agents listen on loopback, a port each. */
export const SIM_NODE_IP = '127.0.0.1';

const simulated = (p: SimPod): SimulatedPod => ({
  namespace: p.namespace,
  name: p.name,
  node: p.node,
  netns: `sim-${p.index}`,
  ip: p.ip,
  nodeIp: SIM_NODE_IP,
  labels: { ...p.labels, [SCALE_LABEL]: 'true' },
});

/** Ready Nodes, `concurrency` writes at a time. */
export async function createSimNodes(
  kube: Kube,
  names: readonly string[],
  concurrency: number,
): Promise<void> {
  const version = await kubeVersion(kube);
  await pool(names, concurrency, async (name) => {
    const n = { name, ip: SIM_NODE_IP, kubeVersion: version };
    const node = nodeObject(n);
    node.metadata = {
      ...node.metadata,
      labels: { ...node.metadata?.labels, [SCALE_LABEL]: 'true' },
    };
    await kube.request('POST', '/api/v1/nodes', node);
    await kube.request('PATCH', `/api/v1/nodes/${name}/status`, nodeStatus(n, new Date()), {
      patch: 'merge',
    });
  });
}

/** Running Pods, `concurrency` at a time; returns them as the agents see them. */
export async function createSimPods(
  kube: Kube,
  pods: readonly SimPod[],
  concurrency: number,
): Promise<Pod[]> {
  const namespaces = [...new Set(pods.map((p) => p.namespace))];
  for (const ns of namespaces) await ensureNamespace(kube, ns);
  await pool(pods, concurrency, (p) => createPod(kube, simulated(p), async () => {}));
  const now = new Date();
  return pods.map((p) => {
    const s = simulated(p);
    return { ...podObject(s), ...podStatus(s, now) } as Pod;
  });
}

/** A bulk delete, retried while a loaded apiserver times out (it goes on meanwhile). */
async function retried(what: () => Promise<unknown>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await what();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (i >= 5) throw err;
      await sleep(2000 * i);
    }
  }
}

/** Removes every simulated Pod, Node and agent Lease (an earlier run's too). */
export async function deleteSimObjects(
  kube: Kube,
  podNamespace: string,
  leaseNamespace: string,
): Promise<void> {
  const query = { labelSelector: `${SCALE_LABEL}=true` };
  await retried(() =>
    kube.request('DELETE', `/api/v1/namespaces/${podNamespace}/pods`, undefined, { query }),
  );
  await retried(() => kube.request('DELETE', '/api/v1/nodes', undefined, { query }));
  const leases = await kube.list<Lease>(agentLeasesPath(leaseNamespace), {
    labelSelector: AGENT_LEASE_LABEL,
  });
  const stale = leases.items.filter((l) => isSimNode(l.spec?.holderIdentity ?? ''));
  await pool(stale, 16, (l) =>
    kube
      .request('DELETE', `${agentLeasesPath(leaseNamespace)}/${l.metadata?.name}`)
      .catch(() => {}),
  );
}
