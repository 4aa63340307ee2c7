import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinned } from '../lib/pinned-cert.js';
import { selfSignedIdentity } from '../lib/tls.js';

// The operator's port as the plugin meets it through a port-forward: 127.0.0.1, a
// self-signed certificate for the Service's names.
const operatorCert = selfSignedIdentity(['netgraph-operator.netgraph.svc']);
const other = selfSignedIdentity(['netgraph-operator.netgraph.svc']);
let server: https.Server;
let port = 0;

beforeAll(async () => {
  server = https.createServer(operatorCert, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const get = (pem: string) =>
  new Promise<string>((resolve, reject) => {
    https
      .get(
        { host: '127.0.0.1', port, path: '/', agent: false, ...pinned(pem, [], 'netgraph/x') },
        (res) => {
          res.setEncoding('utf8');
          let body = '';
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve(body));
        },
      )
      .on('error', reject);
  });

describe('trusting the published certificate', () => {
  it('accepts the port whose certificate is the one published, at 127.0.0.1', async () => {
    expect(await get(operatorCert.cert)).toBe('ok');
  });

  it('refuses a port with any other certificate, even for the same names', async () => {
    await expect(get(other.cert)).rejects.toThrow();
  });
});
