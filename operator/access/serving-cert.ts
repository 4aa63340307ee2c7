// The certificate the operator's port serves. From files when the chart is told to use a
// Secret (cert-manager's, say), else self-signed at start for the names the port is
// reached by. Either way it is published in a ConfigMap of the operator's namespace
// (key ca.crt) for clients to pin: the kubectl plugin, Prometheus (the ServiceMonitor's
// tlsConfig), a user's curl.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { selfSignedIdentity } from '../../lib/tls.js';

export const CA_KEY = 'ca.crt';

export interface ServingCert {
  cert: string;
  key: string;
  /** What clients pin: the CA file given with the certificate, else the certificate itself. */
  ca: string;
  /** The names and addresses in the certificate (a self-signed one), for the Host allow-list. */
  hosts: string[];
}

export interface ServingCertOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Extra names (the Service's DNS names) for a self-signed certificate. */
  sans?: string[];
}

export function servingCert(o: ServingCertOptions): ServingCert {
  if (o.certFile || o.keyFile) {
    if (!o.certFile || !o.keyFile)
      throw new Error('--tls-cert-file and --tls-key-file go together');
    const cert = readFileSync(o.certFile, 'utf8');
    return {
      cert,
      key: readFileSync(o.keyFile, 'utf8'),
      ca: o.caFile ? readFileSync(o.caFile, 'utf8') : cert,
      hosts: o.sans ?? [],
    };
  }
  const hosts = [
    ...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...(o.sans ?? [])].filter(Boolean)),
  ];
  const { cert, key } = selfSignedIdentity(hosts, 'netgraph-operator');
  return { cert, key, ca: cert, hosts };
}
