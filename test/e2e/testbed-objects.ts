// The Kubernetes half of hack/testbed's simulated nodes and pods, typed, on
// lib/kube.ts: the Node and Pod objects with the status a kubelet would have
// written, a pod's owner reference, and reading addresses back from those objects.
// hack/testbed keeps the network plumbing and the address bookkeeping (bash) and runs
// this file for the objects:
//   tsx test/e2e/testbed-objects.ts node --kubeconfig F --name N --ip IP [--ip6 IP6] --kube-version V
//   tsx test/e2e/testbed-objects.ts pod --kubeconfig F --namespace NS --name N --node NODE
//       --netns NETNS --ip IP [--ip6 IP6] --node-ip IP [--node-ip6 IP6] [--label K=V]... [--owner KIND/NAME]
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kube, type KubeClient, KubeError, loadKubeConfig } from '../../lib/kube.js';

/** Where a pod's network namespace is, on the Pod object (no container runtime to ask). */
export const NETNS_ANNOTATION = 'netgraph.dev/testbed-netns';
const IMAGE = 'netgraph.dev/simulated';

export interface SimulatedNode {
  name: string;
  ip: string;
  ip6?: string;
  /** kubeletVersion and kubeProxyVersion reported in the Node's status. */
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
  nodeIp: string;
  nodeIp6?: string;
  labels: Record<string, string>;
  /** 'Kind/name' of an existing object in the pod's namespace. */
  owner?: string;
}

export interface NodeObject {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { addresses?: { type: string; address: string }[] };
}

export interface PodObject {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  status?: { podIPs?: { ip: string }[] };
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
}

type Requester = Pick<KubeClient, 'request'>;

export function nodeObject(n: SimulatedNode) {
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

export function nodeStatus(n: SimulatedNode, now: string) {
  const at = { lastHeartbeatTime: now, lastTransitionTime: now };
  const res = { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' };
  const addresses = [
    { type: 'InternalIP', address: n.ip },
    ...(n.ip6 ? [{ type: 'InternalIP', address: n.ip6 }] : []),
    { type: 'Hostname', address: n.name },
  ];
  return {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'simulated by the netgraph test bed',
          ...at,
        },
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          ...at,
        },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', ...at },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', ...at },
      ],
      addresses,
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

/** A Ready Node with the status a kubelet would have written. */
export async function createNode(kube: Requester, n: SimulatedNode): Promise<void> {
  await kube.request('POST', '/api/v1/nodes', nodeObject(n));
  await kube.request('PATCH', `/api/v1/nodes/${n.name}/status`, nodeStatus(n, now()), {
    patch: 'merge',
  });
}

// The kinds `--owner` accepts, by every name kubectl knows them by.
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

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The controller reference to an existing object 'Kind/name' in namespace ns. */
export async function ownerReference(
  kube: Requester,
  ns: string,
  owner: string,
): Promise<OwnerReference> {
  const slash = owner.indexOf('/');
  if (slash < 0) throw new Error(`--owner expects KIND/NAME, got '${owner}'`);
  const kindName = owner.slice(0, slash);
  const name = owner.slice(slash + 1);
  if (!NAME.test(name)) throw new Error(`invalid owner name: '${name}'`);
  const k = OWNER_KINDS.find((o) => o.names.includes(kindName.toLowerCase()));
  if (!k) {
    const kinds = OWNER_KINDS.map((o) => o.kind).join(', ');
    throw new Error(`--owner: unsupported kind '${kindName}' (${kinds})`);
  }
  const base = k.apiVersion === 'v1' ? '/api/v1' : `/apis/${k.apiVersion}`;
  let uid: string | undefined;
  try {
    const o = await kube.request<{ metadata?: { uid?: string } }>(
      'GET',
      `${base}/namespaces/${ns}/${k.resource}/${name}`,
    );
    uid = o.metadata?.uid;
  } catch {
    uid = undefined;
  }
  if (!uid) throw new Error(`--owner: ${k.kind} ${ns}/${name} not found`);
  return { apiVersion: k.apiVersion, kind: k.kind, name, uid, controller: true };
}

// terminationGracePeriodSeconds 0: with no kubelet to confirm a graceful delete,
// a bound pod would stay Terminating forever (and so would its namespace).
export function podObject(p: SimulatedPod, owners: OwnerReference[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      annotations: { [NETNS_ANNOTATION]: `/var/run/netns/${p.netns}` },
      ...(owners.length ? { ownerReferences: owners } : {}),
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

export function podStatus(p: SimulatedPod, now: string) {
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
export async function createPod(kube: Requester, p: SimulatedPod): Promise<void> {
  const owners = p.owner ? [await ownerReference(kube, p.namespace, p.owner)] : [];
  const path = `/api/v1/namespaces/${p.namespace}/pods`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await kube.request('POST', path, podObject(p, owners));
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
    await kube.request('PATCH', `${path}/${p.name}/status`, podStatus(p, now()), {
      patch: 'merge',
    });
  } catch (err) {
    // A Pod without its status would look Pending to the operator: none at all is clearer.
    await kube.request('DELETE', `${path}/${p.name}`).catch(() => undefined);
    throw err;
  }
}

/** A simulated node's InternalIPs, as its Node object carries them. */
export function nodeAddresses(node: NodeObject): { ip: string; ip6?: string } {
  const ips = (node.status?.addresses ?? [])
    .filter((a) => a.type === 'InternalIP')
    .map((a) => a.address);
  const ip = ips.find((a) => !a.includes(':'));
  const ip6 = ips.find((a) => a.includes(':'));
  if (!ip) throw new Error(`node ${node.metadata.name} has no IPv4 InternalIP`);
  return ip6 ? { ip, ip6 } : { ip };
}

/** A simulated pod's addresses and network namespace, as its Pod object carries them. */
export function podAddresses(pod: PodObject): { ip: string; ip6?: string; netns: string } {
  const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip);
  const ip = ips.find((a) => !a.includes(':'));
  const ip6 = ips.find((a) => a.includes(':'));
  const netnsPath = pod.metadata.annotations?.[NETNS_ANNOTATION];
  if (!ip || !netnsPath) throw new Error(`pod ${ref} is not a test bed pod (no IP or netns)`);
  const netns = netnsPath.slice(netnsPath.lastIndexOf('/') + 1);
  return ip6 ? { ip, ip6, netns } : { ip, netns };
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

async function main(argv: string[]): Promise<void> {
  const [what, ...rest] = argv;
  const { values: v } = parseArgs({
    args: rest,
    options: {
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      node: { type: 'string' },
      netns: { type: 'string' },
      ip: { type: 'string' },
      ip6: { type: 'string' },
      'node-ip': { type: 'string' },
      'node-ip6': { type: 'string' },
      'kube-version': { type: 'string' },
      label: { type: 'string', multiple: true },
      owner: { type: 'string' },
    },
  });
  const need = (k: keyof typeof v): string => {
    const s = v[k];
    if (typeof s !== 'string' || !s) throw new Error(`${what}: --${k} is required`);
    return s;
  };
  const optional = (s: string | undefined) => (s ? s : undefined);
  const kube = new Kube(loadKubeConfig(need('kubeconfig')));
  if (what === 'node') {
    await createNode(kube, {
      name: need('name'),
      ip: need('ip'),
      ip6: optional(v.ip6),
      kubeVersion: need('kube-version'),
    });
  } else if (what === 'pod') {
    const labels: Record<string, string> = {};
    for (const l of v.label ?? []) {
      const i = l.indexOf('=');
      labels[l.slice(0, i)] = l.slice(i + 1);
    }
    await createPod(kube, {
      namespace: need('namespace'),
      name: need('name'),
      node: need('node'),
      netns: need('netns'),
      ip: need('ip'),
      ip6: optional(v.ip6),
      nodeIp: need('node-ip'),
      nodeIp6: optional(v['node-ip6']),
      labels,
      owner: optional(v.owner),
    });
  } else {
    throw new Error(`unknown object '${what}' (node, pod)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const message = err instanceof KubeError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`testbed: error: ${message}\n`);
    process.exit(1);
  });
}
