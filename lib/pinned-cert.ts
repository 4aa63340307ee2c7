// TLS that trusts exactly one published certificate: a port's own (self-signed), or one
// its CA issued for the port's names. The address dialled is not checked (a
// port-forward's 127.0.0.1, a replica's pod IP: no certificate names them), the names are.
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

export interface PinnedTls {
  ca?: string;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** `where`: where the certificate is published, for the error. */
export function pinned(pem: string, names: readonly string[], where: string): PinnedTls {
  const fingerprint = new X509Certificate(pem).fingerprint256;
  return {
    ca: pem,
    checkServerIdentity: (_host, cert) => {
      if (cert.fingerprint256 === fingerprint) return undefined;
      if (names.some((n) => checkServerIdentity(n, cert) === undefined)) return undefined;
      return new Error(
        `the operator's certificate is not the one in ${where}, nor issued for ${names.join(' or ')}`,
      );
    },
  };
}
