// The Kubernetes objects of the test bed's simulated nodes and pods, typed, written
// through lib/kube.ts by the process that asks for them (test/e2e/testbed.ts): a Ready
// Node and a Running, Ready Pod with the status a kubelet would have written, a pod's
// owner reference, its namespace. hack/testbed only wires the network (addresses,
// network namespaces, veths, routes).

import { release } from 'node:os';
import type {
  V1Namespace,
  V1Node,
  V1NodeCondition,
  V1OwnerReference,
  V1Pod,
  VersionInfo,
} from '@kubernetes/client-node';
import { isConflict, isNotFound, type KubeClient } from '../../lib/kube.js';

/** Where a pod's network namespace is, on the Pod object (no container runtime to ask). */
export const NETNS_ANNOTATION = 'netgraph.dev/testbed-netns';
const IMAGE = 'netgraph.dev/simulated';

type Requester = Pick<KubeClient, 'request'>;

export interface SimulatedNode {
  name: string;
  ip: string;
  ip6?: string;
  /** kubeletVersion and kubeProxyVersion in the Node's status: the control plane's. */
  kubeVersion: string;
}

export interface SimulatedPod {
  namespace: string;
  name: string;
  node: string;
  /** Network namespace name (file /var/run/netns/<netns>). */
  netns: string;
  ip: string;
  ip6?: string;
  /** The node's InternalIPs (the Pod's hostIPs). */
  nodeIp: string;
  nodeIp6?: string;
  labels: Record<string, string>;
  owner?: V1OwnerReference;
}

export function nodeObject(n: SimulatedNode): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'netgraph.dev/simulated': 'true',
      },
    },
  };
}

export function nodeStatus(n: SimulatedNode, now: Date): Pick<V1Node, 'status'> {
  const condition = (type: string, status: string, reason: string): V1NodeCondition => ({
    type,
    status,
    reason,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  const res = { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' };
  return {
    status: {
      conditions: [
        {
          ...condition('Ready', 'True', 'KubeletReady'),
          message: 'simulated by the netgraph test bed',
        },
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
      ],
      addresses: [
        { type: 'InternalIP', address: n.ip },
        ...(n.ip6 ? [{ type: 'InternalIP', address: n.ip6 }] : []),
        { type: 'Hostname', address: n.name },
      ],
      capacity: res,
      allocatable: res,
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: 'netgraph simulated node',
        containerRuntimeVersion: 'simulated://1',
        kubeletVersion: n.kubeVersion,
        kubeProxyVersion: n.kubeVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** The control plane's version (v1.32.4): what a kubelet of the same release reports. */
export async function kubeVersion(kube: Requester): Promise<string> {
  return (await kube.request<VersionInfo>('GET', '/version')).gitVersion;
}

/** A Ready Node with the status a kubelet would have written. */
export async function createNode(kube: Requester, n: SimulatedNode): Promise<void> {
  await kube.request('POST', '/api/v1/nodes', nodeObject(n));
  await kube.request('PATCH', `/api/v1/nodes/${n.name}/status`, nodeStatus(n, new Date()), {
    patch: 'merge',
  });
}

/** A node's InternalIPs, as its Node object carries them. */
export function nodeAddresses(node: V1Node): { ip: string; ip6?: string } {
  const ips = (node.status?.addresses ?? [])
    .filter((a) => a.type === 'InternalIP')
    .map((a) => a.address);
  const ip = ips.find((a) => !a.includes(':'));
  const ip6 = ips.find((a) => a.includes(':'));
  if (!ip) throw new Error(`node ${node.metadata?.name} has no IPv4 InternalIP`);
  return ip6 ? { ip, ip6 } : { ip };
}

/** The Node `name`, with a message that says how to make it when it is missing. */
export async function getNode(kube: Requester, name: string): Promise<V1Node> {
  try {
    return await kube.request<V1Node>('GET', `/api/v1/nodes/${name}`);
  } catch (err) {
    if (isNotFound(err)) {
      throw new Error(
        `node ${name} does not exist (create it with: hack/testbed node add ${name})`,
      );
    }
    throw err;
  }
}

/** The namespace, created unless it exists. */
export async function ensureNamespace(kube: Requester, name: string): Promise<void> {
  const ns: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  await kube.request('POST', '/api/v1/namespaces', ns).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
  });
}

// The kinds an owner may be, by every name kubectl knows them by.
const OWNER_KINDS: { names: string[]; kind: string; apiVersion: string; resource: string }[] = [
  {
    names: ['replicaset', 'rs'],
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    resource: 'replicasets',
  },
  {
    names: ['deployment', 'deploy'],
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    resource: 'deployments',
  },
  {
    names: ['statefulset', 'sts'],
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    resource: 'statefulsets',
  },
  { names: ['daemonset', 'ds'], kind: 'DaemonSet', apiVersion: 'apps/v1', resource: 'daemonsets' },
  { names: ['job'], kind: 'Job', apiVersion: 'batch/v1', resource: 'jobs' },
  { names: ['cronjob'], kind: 'CronJob', apiVersion: 'batch/v1', resource: 'cronjobs' },
  {
    names: ['replicationcontroller', 'rc'],
    kind: 'ReplicationController',
    apiVersion: 'v1',
    resource: 'replicationcontrollers',
  },
];

/** The controller reference to an existing object 'Kind/name' in namespace ns. */
export async function ownerReference(
  kube: Requester,
  ns: string,
  owner: string,
): Promise<V1OwnerReference> {
  const slash = owner.indexOf('/');
  if (slash < 0) throw new Error(`owner: expected KIND/NAME, got '${owner}'`);
  const kindName = owner.slice(0, slash);
  const name = owner.slice(slash + 1);
  const k = OWNER_KINDS.find((o) => o.names.includes(kindName.toLowerCase()));
  if (!k) {
    const kinds = OWNER_KINDS.map((o) => o.kind).join(', ');
    throw new Error(`owner: unsupported kind '${kindName}' (${kinds})`);
  }
  const base = k.apiVersion === 'v1' ? '/api/v1' : `/apis/${k.apiVersion}`;
  const path = `${base}/namespaces/${ns}/${k.resource}/${encodeURIComponent(name)}`;
  const o = await kube.request<{ metadata?: { uid?: string } }>('GET', path).catch((err) => {
    if (isNotFound(err)) throw new Error(`owner: ${k.kind} ${ns}/${name} not found`);
    throw err;
  });
  const uid = o.metadata?.uid;
  if (!uid) throw new Error(`owner: ${k.kind} ${ns}/${name} has no uid`);
  return { apiVersion: k.apiVersion, kind: k.kind, name, uid, controller: true };
}

// terminationGracePeriodSeconds 0: with no kubelet to confirm a graceful delete,
// a bound pod would stay Terminating forever (and so would its namespace).
export function podObject(p: SimulatedPod): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      annotations: { [NETNS_ANNOTATION]: `/var/run/netns/${p.netns}` },
      ...(p.owner ? { ownerReferences: [p.owner] } : {}),
    },
    spec: {
      nodeName: p.node,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      containers: [{ name: 'main', image: IMAGE }],
    },
  };
}

export function podStatus(p: SimulatedPod, now: Date): Pick<V1Pod, 'status'> {
  return {
    status: {
      phase: 'Running',
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: now,
      })),
      podIP: p.ip,
      podIPs: [{ ip: p.ip }, ...(p.ip6 ? [{ ip: p.ip6 }] : [])],
      hostIP: p.nodeIp,
      hostIPs: [{ ip: p.nodeIp }, ...(p.nodeIp6 ? [{ ip: p.nodeIp6 }] : [])],
      containerStatuses: [
        {
          name: 'main',
          ready: true,
          started: true,
          restartCount: 0,
          image: IMAGE,
          imageID: `${IMAGE}@sha256:${'0'.repeat(64)}`,
          containerID: `simulated://${p.netns}`,
          state: { running: { startedAt: now } },
        },
      ],
    },
  };
}

/**
 * A Running, Ready Pod bound to p.node. The ServiceAccount admission plugin refuses
 * pods until the namespace's `default` ServiceAccount exists, which the controller
 * manager creates a moment after the namespace (up to a minute while the machine is
 * loaded: one full e2e run saw 30 s pass without it), so creation is retried until then.
 */
/**
 * The Pod, Pending, then `sandbox(uid)` (its sandbox made, as a kubelet makes it before
 * the pod runs), then its Running status.
 */
export async function createPod(
  kube: Requester,
  p: SimulatedPod,
  sandbox: (uid: string) => Promise<void>,
): Promise<void> {
  const path = `/api/v1/namespaces/${p.namespace}/pods`;
  const deadline = Date.now() + 60_000;
  let uid: string | undefined;
  for (;;) {
    try {
      uid = (await kube.request<V1Pod>('POST', path, podObject(p))).metadata?.uid;
      break;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!/serviceaccount/i.test(message) || Date.now() >= deadline) {
        throw new Error(`creating pod ${p.namespace}/${p.name}: ${message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!uid) throw new Error(`pod ${p.namespace}/${p.name} was created without a UID`);
    await sandbox(uid);
    await kube.request('PATCH', `${path}/${p.name}/status`, podStatus(p, new Date()), {
      patch: 'merge',
    });
  } catch (err) {
    // A Pod without its status would look Pending to the operator: none at all is clearer.
    await deletePod(kube, p.namespace, p.name).catch(() => undefined);
    throw err;
  }
}

/** Deletes the Pod at once (its grace period is 0); a missing one is fine. */
export async function deletePod(kube: Requester, ns: string, name: string): Promise<void> {
  await kube.request('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

/** Deletes the Node; a missing one is fine. */
export async function deleteNode(kube: Requester, name: string): Promise<void> {
  await kube.request('DELETE', `/api/v1/nodes/${name}`).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}
