// The operator's port as users reach it: HTTPS with the serving certificate (published
// for pinning), the cluster's client CA for certificate users, every request through
// Access's guard, the security headers on every answer and the Host allow-list.

import { HttpServer } from '../../lib/http-server.js';
import type { Informers } from '../../lib/informer.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Logger } from '../../lib/log.js';
import { writeOwnedConfigMap } from '../../lib/owned-config-map.js';
import { WorkQueue } from '../../lib/work-queue.js';
import { Access, SECURITY_HEADERS } from './access.js';
import { Authenticator } from './authenticator.js';
import { Authorizer } from './authorizer.js';
import { watchClientCA } from './client-ca.js';
import { hostAllowList } from './host-allow-list.js';
import { PUBLIC_PATHS } from './permission.js';
import { CA_KEY, type ServingCert, type ServingCertOptions, servingCert } from './serving-cert.js';

export interface SecurePortOptions extends ServingCertOptions {
  kube: KubeClient;
  informers: Informers;
  /** The operator's namespace, where the certificate is published. */
  namespace: string;
  /** The ConfigMap that publishes it. */
  certConfigMap: string;
  log: Logger;
}

export function securePort(o: SecurePortOptions): {
  http: HttpServer;
  access: Access;
  serving: ServingCert;
} {
  const serving = servingCert(o);
  const authn = new Authenticator(o.kube);
  const access = new Access(authn, new Authorizer(o.kube), o.log.child({ part: 'access' }));
  // Until the cluster's client CA is known, client certificates are checked against the
  // serving certificate (which signs none): never against the system's public roots.
  const tls = (ca: string) => ({ cert: serving.cert, key: serving.key, ca });
  const http = new HttpServer(o.log.child({ part: 'http' }), {
    tls: { ...tls(serving.cert), requestCert: true, rejectUnauthorized: false },
    headers: SECURITY_HEADERS,
    allowedHost: hostAllowList(serving.hosts),
    guard: access.guard,
    publicPaths: PUBLIC_PATHS,
  });
  watchClientCA(o.informers, (bundle) => {
    http.setSecureContext(tls(bundle ?? serving.cert));
    authn.clientCAKnown = bundle !== undefined;
    o.log.info({ known: authn.clientCAKnown }, 'client CA for certificate users');
  });
  const publish = new WorkQueue(
    () =>
      writeOwnedConfigMap(o.kube, {
        namespace: o.namespace,
        name: o.certConfigMap,
        data: { [CA_KEY]: serving.ca },
      }),
    o.log,
    { name: 'publish serving certificate', keyField: 'configMap' },
  );
  publish.add(o.certConfigMap);
  return { http, access, serving };
}
