// A TLS identity made at start: a self-signed certificate for the names and addresses a
// server is reached by. Its peers pin exactly that certificate where it is published
// (an agent's in its Lease, the operator's in a ConfigMap), so no CA has to be run.
import { constants, generateKeyPairSync, privateEncrypt } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface TlsIdentity {
  cert: string;
  key: string;
}

/** An RSA key pair (PEM). */
export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export const rsaKeyPair = (): KeyPair =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

// DER of a PKCS #1 v1.5 DigestInfo for SHA-256, before the digest (RFC 8017, 9.2 note 1).
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * What forge's cert.sign() calls, signing with Node's crypto: forge's RSA in JavaScript
 * takes ~45 ms a certificate, this ~1 ms (a benchmark makes 1,000 simulated agents').
 */
const nativeSigner = (privateKey: string) => ({
  sign: (md: forge.md.MessageDigest): string =>
    privateEncrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')]),
    ).toString('binary'),
});

/** `key`: the pair to certify (default: a new one); servers sharing one start faster. */
export function selfSignedIdentity(
  hosts: string[],
  commonName = 'netgraph',
  days = 365,
  key: KeyPair = rsaKeyPair(),
): TlsIdentity {
  const { privateKey, publicKey } = key;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    // subjectAltName types: 2 = DNS name, 7 = IP address.
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
  ]);
  cert.sign(
    nativeSigner(privateKey) as unknown as forge.pki.rsa.PrivateKey,
    forge.md.sha256.create(),
  );
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}
