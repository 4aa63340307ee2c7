// Which pod and port are the operator's, from the chart's objects: its Service carries
// app.kubernetes.io/component=operator and app.kubernetes.io/part-of=netgraph (or, from
// charts before part-of, app.kubernetes.io/name=netgraph; a nameOverride changes that
// one); its selector picks the operator's pod, and its port names the pod's port. The
// port's certificate, when the operator serves HTTPS, is in the ConfigMap `<service>-cert`.

/** What the API server is asked for; isNetgraph keeps the chart's among them. */
export const OPERATOR_SELECTOR = 'app.kubernetes.io/component=operator';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export interface Service {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec?: { selector?: Record<string, string>; ports?: ServicePort[] };
}

export interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { containers?: { ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const isNetgraph = (s: Service) =>
  s.metadata.labels?.['app.kubernetes.io/part-of'] === 'netgraph' ||
  s.metadata.labels?.['app.kubernetes.io/name'] === 'netgraph';

/**
 * The one netgraph operator Service among those labelled as operators; several (two
 * releases) need --operator-namespace to choose.
 */
export function chooseService(operators: readonly Service[], namespace?: string): Service {
  const where = namespace ? `namespace ${namespace}` : 'any namespace';
  const services = operators.filter(isNetgraph);
  const [first, ...more] = services;
  if (first === undefined)
    throw new Error(
      `no netgraph operator Service (labels ${OPERATOR_SELECTOR} and app.kubernetes.io/part-of=netgraph) in ${where}: is the chart installed? Or pass --operator URL`,
    );
  if (more.length > 0)
    throw new Error(
      `several netgraph operators: ${services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(', ')}; choose with --operator-namespace`,
    );
  return first;
}

/** The Service's port for the operator's API: `https`, else `http`, else its only one. */
export function operatorPort(svc: Service): ServicePort {
  const ports = svc.spec?.ports ?? [];
  const port =
    ports.find((p) => p.name === 'https') ??
    ports.find((p) => p.name === 'http') ??
    (ports.length === 1 ? ports[0] : undefined);
  if (port === undefined)
    throw new Error(
      `Service ${svc.metadata.namespace}/${svc.metadata.name} has no port named https or http`,
    );
  return port;
}

const ready = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** A Ready pod of the Service (the first by name, so runs agree). */
export function readyPod(svc: Service, pods: readonly Pod[]): Pod {
  const pod = pods.filter(ready).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0];
  if (pod === undefined)
    throw new Error(
      `no Ready pod behind Service ${svc.metadata.namespace}/${svc.metadata.name} (of ${pods.length})`,
    );
  return pod;
}

/** The pod's port a Service port leads to: a number, or a container port's name. */
export function podPort(port: ServicePort, pod: Pod): number {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  throw new Error(`pod ${pod.metadata.name} has no container port named ${target}`);
}

export const certConfigMap = (svc: Service): string => `${svc.metadata.name}-cert`;
/** The names the port's certificate is issued for, when it is not the pinned one itself. */
export const serviceNames = (svc: Service): string[] => {
  const { name, namespace } = svc.metadata;
  return [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
};
