// How the plugin reaches the operator's port, as the user: through the API server (a
// port-forward to the operator's pod, see operator-service.ts) unless --operator says
// where, always with the kubeconfig's credentials (its bearer token, or its client
// certificate once the port serves HTTPS). The port's certificate is self-signed and
// published in a ConfigMap: the plugin trusts exactly that one, as the operator trusts
// exactly the certificate in an agent's Lease.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isNotFound, KubeError } from '../lib/kube.js';
import { pinned, type PinnedTls as Tls } from '../lib/pinned-cert.js';
import type { KubeContext } from './kube-context.js';
import {
  certConfigMap,
  chooseService,
  OPERATOR_SELECTOR,
  operatorPort,
  type Pod,
  podPort,
  readyPod,
  type Service,
  serviceNames,
} from './operator-service.js';
import { forwardPort } from './port-forward.js';

export interface OperatorOptions {
  operator?: URL;
  operatorNamespace?: string;
  operatorCA?: string;
}

export interface OperatorEndpoint {
  /** Where requests go: the local end of the port-forward, or --operator. */
  base: URL;
  /** What the operator is, for messages. */
  describe: string;
  /** Said once to the user (a token sent in clear). */
  warning?: string;
  /** A GET (or HEAD) to the operator with the user's credentials; any status resolves. */
  request(
    path: string,
    o?: { method?: 'GET' | 'HEAD'; headers?: http.OutgoingHttpHeaders },
  ): Promise<http.IncomingMessage>;
  close(): Promise<void>;
}

export async function connectOperator(
  ctx: KubeContext,
  o: OperatorOptions,
): Promise<OperatorEndpoint> {
  const creds = await credentials(ctx);
  if (o.operator) {
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(o.operator.hostname);
    return endpoint(o.operator, `the operator at ${o.operator.href}`, creds, {
      tls: o.operatorCA ? { ca: readFileSync(o.operatorCA, 'utf8') } : {},
      warning:
        o.operator.protocol === 'http:' && !local && creds.authorization
          ? `your kubeconfig's token goes to ${o.operator.host} in clear (plain http)`
          : undefined,
    });
  }
  const svc = chooseService(await operatorServices(ctx, o.operatorNamespace), o.operatorNamespace);
  const ns = svc.metadata.namespace;
  const port = operatorPort(svc);
  const selector = Object.entries(svc.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  // The Service's Ready pod now: asked again when a forwarded connection fails.
  const target = async () => {
    const pods = await ctx.kube.list<Pod>(`/api/v1/namespaces/${ns}/pods`, {
      labelSelector: selector,
    });
    const pod = readyPod(svc, pods.items);
    return { pod: pod.metadata.name, port: podPort(port, pod) };
  };
  const first = await target();
  let pem = await publishedCertificate(ctx, svc);
  const where = `ConfigMap ${ns}/${certConfigMap(svc)}`;
  const forward = await forwardPort(ctx.config, ns, target, first);
  const scheme = pem === undefined ? 'http' : 'https';
  return endpoint(
    new URL(`${scheme}://127.0.0.1:${forward.port}`),
    `the operator (Service ${ns}/${svc.metadata.name}, port ${first.port} ${pem === undefined ? 'over plain HTTP' : `over HTTPS pinned to ${where}`}, through the API server)`,
    creds,
    {
      tls: pem === undefined ? {} : pinned(pem, serviceNames(svc), where),
      // A new operator pod makes a new certificate and publishes it: trust that one then.
      refreshTls: async () => {
        const now = await publishedCertificate(ctx, svc);
        if (now === undefined || now === pem) return undefined;
        pem = now;
        return pinned(now, serviceNames(svc), where);
      },
      lastError: forward.lastError,
      close: forward.close,
    },
  );
}

async function operatorServices(ctx: KubeContext, namespace?: string): Promise<Service[]> {
  const path = namespace ? `/api/v1/namespaces/${namespace}/services` : '/api/v1/services';
  try {
    return (await ctx.kube.list<Service>(path, { labelSelector: OPERATOR_SELECTOR })).items;
  } catch (err) {
    if (err instanceof KubeError && err.status === 403 && !namespace)
      throw new Error(
        "you may not list Services in every namespace: name the operator's with --operator-namespace",
      );
    throw err;
  }
}

/** The PEM certificate of the operator's port, or undefined when it serves plain HTTP. */
async function publishedCertificate(ctx: KubeContext, svc: Service): Promise<string | undefined> {
  const name = certConfigMap(svc);
  try {
    const cm = await ctx.kube.get<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${svc.metadata.namespace}/configmaps/${name}`,
    );
    const pem = cm.data?.['ca.crt'];
    if (!pem) throw new Error(`ConfigMap ${svc.metadata.namespace}/${name} has no ca.crt`);
    return pem;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

interface Credentials {
  authorization?: string;
  cert?: Buffer;
  key?: Buffer;
}

/** The kubeconfig's credentials, as the API server gets them (tokens from exec plugins too). */
async function credentials(ctx: KubeContext): Promise<Credentials> {
  const opts: https.RequestOptions = {};
  await ctx.config.applyToHTTPSOptions(opts);
  const headers = (opts.headers ?? {}) as Record<string, string | undefined>;
  return {
    authorization: headers.Authorization ?? headers.authorization,
    cert: opts.cert as Buffer | undefined,
    key: opts.key as Buffer | undefined,
  };
}

function endpoint(
  base: URL,
  describe: string,
  creds: Credentials,
  o: {
    tls: Tls;
    /** Asked after a failed request: the TLS settings to use from now on, if they changed. */
    refreshTls?: () => Promise<Tls | undefined>;
    warning?: string;
    lastError?: () => string | undefined;
    close?: () => Promise<void>;
  },
): OperatorEndpoint {
  const secure = base.protocol === 'https:';
  const agentFor = (tls: Tls) =>
    secure
      ? new https.Agent({ keepAlive: true, ...tls, cert: creds.cert, key: creds.key })
      : new http.Agent({ keepAlive: true });
  let agent = agentFor(o.tls);
  const refresh = () =>
    o.refreshTls?.().then(
      (tls) => {
        if (tls === undefined) return;
        agent.destroy();
        agent = agentFor(tls);
      },
      () => {},
    );
  return {
    base,
    describe,
    warning: o.warning,
    request: (path, { method = 'GET', headers = {} } = {}) =>
      new Promise((resolve, reject) => {
        const send = secure ? https.request : http.request;
        const forwardBefore = o.lastError?.();
        const req = send(new URL(path, base), {
          agent,
          method,
          headers: {
            ...headers,
            ...(creds.authorization && { authorization: creds.authorization }),
          },
        });
        // An answer must begin within 15 s (a forward to a pod going away can stay silent).
        const late = setTimeout(() => req.destroy(new Error('no answer in 15 s')), 15_000);
        req.on('response', (res) => {
          clearTimeout(late);
          resolve(res);
        });
        req.on('error', (err) => {
          clearTimeout(late);
          void refresh();
          // What the port-forward saw go wrong says more than "socket hang up".
          const forward = o.lastError?.();
          const why = forward !== forwardBefore && forward ? forward : err.message;
          reject(new Error(`cannot reach ${describe}: ${why}`));
        });
        req.end();
      }),
    close: async () => {
      agent.destroy();
      await o.close?.();
    },
  };
}

/** The operator answered, and not with 2xx: asking again will not help. */
export class OperatorRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An answer that is not 2xx, as the operator explains it ({"error": ...}). */
export async function refusal(res: http.IncomingMessage, what: string): Promise<OperatorRefusal> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let why = text.trim().slice(0, 500);
  try {
    why = (JSON.parse(text) as { error?: string }).error ?? why;
  } catch {}
  const hint =
    res.statusCode === 401
      ? ' (the operator did not accept your kubeconfig credentials)'
      : res.statusCode === 403
        ? ' (your identity lacks the right: see the README, Security)'
        : '';
  return new OperatorRefusal(res.statusCode ?? 0, `${what}: HTTP ${res.statusCode}: ${why}${hint}`);
}
