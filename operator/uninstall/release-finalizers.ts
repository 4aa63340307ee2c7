// `netgraph-release-finalizers`: what `helm uninstall` runs once the operator is gone
// (the chart's post-delete hook). Every Trace carries the operator's finalizer so that
// deleting one stops it on every node first; with no operator left, nothing would ever
// remove it and a Trace deleted later would stay Terminating forever. The agents went
// with their pods, so nothing is attached any more: this waits until no operator or agent
// pod of the release runs (a terminating operator would add the finalizer back) and then
// removes the finalizer from every Trace. Traces stay (the CRD is not removed by helm).
// Then it removes what the release's processes made and Helm does not know: the ConfigMap
// where the operator published its certificate, and the agents' and operator replicas'
// Leases (each deletes its own as it stops, but Helm may have deleted its Role first).
import { AGENT_LEASE_LABEL, agentLeasesPath, type Lease } from '../../api/agent.js';
import { REPLICA_LEASE_LABEL } from '../../api/ring.js';
import { FINALIZER, TRACES_PATH, type Trace, traceObjectPath } from '../../api/trace.js';
import {
  isConflict,
  isInvalid,
  isNotFound,
  Kube,
  type KubeClient,
  loadKubeConfig,
  netgraphNamespace,
} from '../../lib/kube.js';
import { type Logger, logger } from '../../lib/log.js';

/**
 * The operator's and the agents' pods, as the chart labels them; the chart passes its
 * release's own selector in $NETGRAPH_PODS_SELECTOR (another release may run meanwhile).
 */
export const PODS_SELECTOR =
  'app.kubernetes.io/name=netgraph,app.kubernetes.io/component in (operator,gadget)';

/** Removes FINALIZER from every Trace; returns how many held it. */
export async function releaseFinalizers(kube: KubeClient, log: Logger): Promise<number> {
  const traces = await kube.list<Trace>(TRACES_PATH);
  let released = 0;
  for (const t of traces.items) {
    const i = t.metadata.finalizers?.indexOf(FINALIZER) ?? -1;
    if (i < 0) continue;
    const path = traceObjectPath(t.metadata.namespace ?? '', t.metadata.name);
    try {
      // The test makes the removal apply only to the finalizer seen here.
      await kube.jsonPatch(path, [
        { op: 'test', path: `/metadata/finalizers/${i}`, value: FINALIZER },
        { op: 'remove', path: `/metadata/finalizers/${i}` },
      ]);
      released++;
      log.info({ namespace: t.metadata.namespace, trace: t.metadata.name }, 'finalizer removed');
    } catch (err) {
      if (isNotFound(err)) continue; // deleted meanwhile
      // The finalizers changed since the list (the test failed): read them again.
      if (isConflict(err) || isInvalid(err)) return released + (await releaseFinalizers(kube, log));
      throw err;
    }
  }
  return released;
}

/** Waits until no pod `selector` selects is left in NAMESPACE (at most timeoutMs). */
export async function podsGone(
  kube: KubeClient,
  namespace: string,
  selector: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await kube.list(`/api/v1/namespaces/${namespace}/pods`, {
      labelSelector: selector,
    });
    if (pods.items.length === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function main(): Promise<number> {
  const log = logger('netgraph-release-finalizers');
  const kube = new Kube(loadKubeConfig());
  const namespace = netgraphNamespace();
  const selector = process.env.NETGRAPH_PODS_SELECTOR || PODS_SELECTOR;
  if (!(await podsGone(kube, namespace, selector, 120_000))) {
    log.error(
      { namespace, selector },
      'a netgraph pod is still running after 2 minutes; finalizers left in place',
    );
    return 1;
  }
  const n = await releaseFinalizers(kube, log);
  log.info({ released: n }, 'no operator left: Traces can be deleted without it');
  // The certificate the operator published for clients to pin: the operator made it, so
  // Helm does not know it (the chart names it in $NETGRAPH_CERT_CONFIGMAP).
  const cert = process.env.NETGRAPH_CERT_CONFIGMAP;
  if (cert) {
    await kube
      .request('DELETE', `/api/v1/namespaces/${namespace}/configmaps/${encodeURIComponent(cert)}`)
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    log.info({ configMap: cert }, 'published certificate removed');
  }
  for (const label of [AGENT_LEASE_LABEL, REPLICA_LEASE_LABEL]) {
    const leases = await kube.list<Lease>(agentLeasesPath(namespace), {
      labelSelector: `${label}=true`,
    });
    for (const l of leases.items) {
      await kube
        .request('DELETE', `${agentLeasesPath(namespace)}/${l.metadata?.name}`)
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
    log.info({ label, leases: leases.items.length }, 'Leases left behind removed');
  }
  return 0;
}
