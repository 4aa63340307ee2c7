// The cluster as kubectl would reach it: the kubeconfig kubectl reads ($KUBECONFIG or
// ~/.kube/config, or --kubeconfig), its current context or --context, and the
// context's namespace as the default for -n.
import { Kube, KubeConfig } from '../lib/kube.js';

export interface KubeContext {
  config: KubeConfig;
  kube: Kube;
  /** -n, else the context's namespace, else `default`. */
  namespace: string;
}

export function kubeContext(o: {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}): KubeContext {
  const config = new KubeConfig();
  try {
    if (o.kubeconfig) config.loadFromFile(o.kubeconfig);
    else config.loadFromDefault();
  } catch (err) {
    const which = o.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config';
    throw new Error(`cannot read the kubeconfig ${which}: ${(err as Error).message}`);
  }
  if (o.context !== undefined) {
    if (!config.getContextObject(o.context))
      throw new Error(`context "${o.context}" is not in the kubeconfig`);
    config.setCurrentContext(o.context);
  }
  if (!config.getCurrentCluster()) throw new Error('the kubeconfig has no current cluster');
  const namespace =
    o.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
  return { config, kube: new Kube(config), namespace };
}
