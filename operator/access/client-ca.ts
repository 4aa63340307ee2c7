// The cluster's client CA, which signs the certificates users authenticate with (an admin
// kubeconfig's, say). The API server publishes it in kube-system/
// extension-apiserver-authentication (key client-ca-file), as it does for every
// extension server; the operator watches that one ConfigMap (RBAC: the built-in Role
// extension-apiserver-authentication-reader) and hands each new bundle to its TLS server.
import type { Informers, Subscription } from '../../lib/informer.js';
import type { ConfigMap } from '../../lib/kube-objects.js';

const NAMESPACE = 'kube-system';
const NAME = 'extension-apiserver-authentication';
const KEY = 'client-ca-file';

export function watchClientCA(
  informers: Informers,
  onChange: (bundle: string | undefined) => void,
): Subscription {
  let last: string | undefined;
  const seen = (cm: ConfigMap | undefined) => {
    const bundle = cm?.data?.[KEY] || undefined;
    if (bundle === last) return;
    last = bundle;
    onChange(bundle);
  };
  return informers.subscribe<ConfigMap>(
    `/api/v1/namespaces/${NAMESPACE}/configmaps`,
    {
      onReset: (items) => seen(items[0]),
      onEvent: (type, cm) => seen(type === 'DELETED' ? undefined : cm),
    },
    { fieldSelector: `metadata.name=${NAME}` },
  );
}
