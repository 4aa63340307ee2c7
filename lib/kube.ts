// A small JSON client for the Kubernetes API on top of @kubernetes/client-node's
// KubeConfig (authentication, TLS) and Watch (streamed watches). Objects stay
// plain JSON as the API sends them, the same from a list as from a watch.
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeObject } from './kube-objects.js';

export { KubeConfig };

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type JsonPatchOp =
  | { op: 'test' | 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** A JSON pointer segment: `/` and `~` escaped. */
export const pointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

export type Query = Record<string, string | number | boolean | undefined>;
/** What happened to an object, as a watch reports it. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
/** A watch stream's events: changes, BOOKMARK (a newer resourceVersion) and ERROR (a Status). */
export type WatchStreamEventType = WatchEventType | 'BOOKMARK' | 'ERROR';

/** `namespace/name` (`/name` when cluster-scoped): an object's key in stores and work queues. */
export const namespacedName = (o: KubeObject): string =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export interface KubeList<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

const CONTENT_TYPES = {
  merge: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
  json: 'application/json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Loads a kubeconfig: $KUBECONFIG or ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export class Kube {
  private readonly watcher: Watch;
  private options?: { at: number; opts: https.RequestOptions };

  constructor(readonly config: KubeConfig) {
    this.watcher = new Watch(config);
  }

  // TLS material and tokens are resolved once a minute, so connections are reused
  // and a rotated service-account token is still picked up.
  private async requestOptions(): Promise<https.RequestOptions> {
    if (this.options && Date.now() - this.options.at < 60_000) return this.options.opts;
    const opts: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(opts);
    if (opts.agent instanceof https.Agent) {
      opts.agent = new https.Agent({ ...opts.agent.options, keepAlive: true });
    }
    this.options = { at: Date.now(), opts };
    return opts;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { query?: Query; patch?: keyof typeof CONTENT_TYPES } = {},
  ): Promise<T> {
    const server = this.config.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const base = await this.requestOptions();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string> | undefined),
      accept: 'application/json',
    };
    if (payload !== undefined) headers['content-type'] = CONTENT_TYPES[opts.patch ?? 'json'];
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, { ...base, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let json: { reason?: string; message?: string } | undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          if (status >= 200 && status < 300) resolve(json as T);
          else {
            const msg = json?.message ?? (text.slice(0, 200) || `HTTP ${status}`);
            reject(new KubeError(status, json?.reason ?? '', `${method} ${path}: ${msg}`));
          }
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, { query });
  }

  /** Fetches every page of a list. */
  async list<T>(path: string, query: Query = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let meta: KubeList<T>['metadata'];
    do {
      const page = await this.get<KubeList<T>>(path, { ...query, limit: 500, continue: cont });
      items.push(...page.items);
      meta = page.metadata;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { metadata: meta, items };
  }

  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, { patch: 'merge' });
  }

  /**
   * Server-side apply as `fieldManager`: the fields in `obj` become this manager's, and
   * those it applied before and leaves out now go. Forced, it takes fields another manager
   * holds; else a field another manager set differently is a 409 conflict.
   */
  apply<T>(path: string, obj: unknown, fieldManager: string, force = true): Promise<T> {
    return this.request<T>('PATCH', path, obj, {
      patch: 'apply',
      query: { fieldManager, force },
    });
  }

  /** RFC 6902: with a `test` operation first, the patch applies only if the object still holds it. */
  jsonPatch<T>(path: string, ops: JsonPatchOp[]): Promise<T> {
    return this.request<T>('PATCH', path, ops, { patch: 'jsonPatch' });
  }

  /**
   * Watches until the server closes the stream (resolves) or an error (rejects).
   * `signal` ends it early.
   */
  watch<T>(
    path: string,
    query: Query,
    onEvent: (type: WatchStreamEventType, obj: T) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let controller: AbortController | undefined;
      const abort = () => controller?.abort();
      const done = (err: unknown) => {
        signal.removeEventListener('abort', abort);
        // client-node (2.x) ends a watch that received nothing for 30 s with a TimeoutError,
        // as its own informer does: the caller then watches again from where it was, as
        // after the server's end of a watch (a quiet resource sends no bookmark that often).
        if (!err || signal.aborted || isIdleTimeout(err)) resolve();
        else {
          // client-node's Watch gives an HTTP error status as err.statusCode: make it a KubeError (isGone).
          const status = (err as { statusCode?: unknown }).statusCode;
          reject(
            typeof status === 'number'
              ? new KubeError(status, '', `watch ${path}: ${(err as Error).message}`)
              : err,
          );
        }
      };
      this.watcher
        .watch(path, query, (type, obj) => onEvent(type as WatchStreamEventType, obj as T), done)
        .then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
          else signal.addEventListener('abort', abort, { once: true });
        }, done);
    });
  }
}

/** What code that talks to the API needs of Kube: unit tests pass a fake. */
export type KubeClient = Pick<
  Kube,
  'request' | 'get' | 'list' | 'mergePatch' | 'jsonPatch' | 'apply' | 'watch'
>;

const isIdleTimeout = (e: unknown): boolean => e instanceof Error && e.name === 'TimeoutError';

export const isGone = (e: unknown): boolean => e instanceof KubeError && e.status === 410;
export const isNotFound = (e: unknown): boolean => e instanceof KubeError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeError && e.status === 409;
/** The API refuses the request as malformed or invalid (400, 422): sending it again cannot help. */
export const isInvalid = (e: unknown): e is KubeError =>
  e instanceof KubeError && (e.status === 400 || e.status === 422);

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** netgraph's own namespace: $NETGRAPH_NAMESPACE, else the pod's, else `netgraph`. */
export function netgraphNamespace(): string {
  if (process.env.NETGRAPH_NAMESPACE) return process.env.NETGRAPH_NAMESPACE;
  return existsSync(SA_NAMESPACE_FILE)
    ? readFileSync(SA_NAMESPACE_FILE, 'utf8').trim()
    : 'netgraph';
}
