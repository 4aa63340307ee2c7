// The operator's HTTPS port as a user reaches it in a test: its certificate pinned from
// the ConfigMap it publishes, and a Kubernetes identity: the test bed admin's client
// certificate (its kubeconfig has no token, as notes of many clusters' admins), a
// ServiceAccount's token, or none.
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETGRAPH_NS, type Proc } from './netgraph.js';
import { kubeConfig, kubectl, waitFor } from './testbed.js';

export const CERT_CONFIGMAP = 'netgraph-operator-cert';

export type Identity = 'admin' | 'none' | { token: string };

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class OperatorPort {
  private constructor(
    readonly host: string,
    readonly port: number,
    /** The certificate the operator published (PEM): what clients pin. */
    readonly ca: string,
  ) {}

  get base(): string {
    return `https://${this.host}:${this.port}`;
  }

  /** The port an operator of this test bed listens on, once it has published its certificate. */
  static async of(operator: Proc, namespace = NETGRAPH_NS): Promise<OperatorPort> {
    const listening = await operator.waitLine((l) => l.msg === 'http listening');
    const ca = await waitFor(
      async () =>
        (
          await kubectl([
            'get',
            'configmap',
            '-n',
            namespace,
            CERT_CONFIGMAP,
            '-o',
            'jsonpath={.data.ca\\.crt}',
          ]).catch(() => '')
        ).trim() || undefined,
      { timeoutMs: 20_000, what: `ConfigMap ${namespace}/${CERT_CONFIGMAP}` },
    );
    return new OperatorPort('127.0.0.1', Number(listening.port), `${ca}\n`);
  }

  /**
   * The port as a Prometheus scrapes it: a ServiceAccount holding `get` on /metrics (the
   * right Prometheus ServiceAccounts hold), its token and the pinned certificate in files.
   * Its RBAC is named apart from any release of the chart (chart.test.ts checks a release
   * leaves nothing of its own name behind).
   */
  async scrapeTarget(): Promise<{ address: string; caFile: string; tokenFile: string }> {
    await kubectl(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: e2e-scrape-metrics-reader }
rules: [{ nonResourceURLs: [/metrics], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: e2e-scrape-prometheus }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-scrape-metrics-reader }
subjects: [{ kind: ServiceAccount, name: prometheus, namespace: ${NETGRAPH_NS} }]
`,
    });
    const dir = mkdtempSync(join(tmpdir(), 'netgraph-scrape-'));
    const caFile = join(dir, 'ca.crt');
    const tokenFile = join(dir, 'token');
    writeFileSync(caFile, this.ca);
    writeFileSync(tokenFile, await serviceAccountToken(NETGRAPH_NS, 'prometheus'));
    return { address: `${this.host}:${this.port}`, caFile, tokenFile };
  }

  /** TLS options for Node's https with this identity: what a client of the port passes. */
  tlsOptions(who: Identity = 'admin'): https.RequestOptions {
    const opts: https.RequestOptions = { ca: this.ca, servername: 'localhost' };
    if (who === 'admin') {
      const user = kubeConfig().getCurrentUser();
      opts.cert = Buffer.from(user?.certData ?? '', 'base64').toString();
      opts.key = Buffer.from(user?.keyData ?? '', 'base64').toString();
    } else if (who !== 'none') opts.headers = { authorization: `Bearer ${who.token}` };
    return opts;
  }

  /** GET path (with its query) as `who`; the whole answer. */
  get(
    path: string,
    who: Identity = 'admin',
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    return this.request('GET', path, who, headers);
  }

  /** HEAD: the answer a stream would start with, without its body. */
  head(path: string, who: Identity = 'admin'): Promise<Answer> {
    return this.request('HEAD', path, who);
  }

  private request(
    method: string,
    path: string,
    who: Identity,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const opts = this.tlsOptions(who);
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.base}${path}`,
        { ...opts, method, headers: { ...(opts.headers as object), ...headers } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/** A token of a new ServiceAccount in `namespace` (made here), for a caller with chosen rights. */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  await kubectl(['create', 'serviceaccount', '-n', namespace, name]).catch(() => {});
  return (await kubectl(['create', 'token', '-n', namespace, name])).trim();
}
