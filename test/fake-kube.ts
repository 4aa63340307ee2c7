// An apiserver in memory for unit tests of the stateful core (the controller, the
// Reflector): objects with resourceVersions, lists, watches that replay what came
// after their resourceVersion, merge and JSON patches, finalizers that hold a
// deletion, compaction that answers old watches with 410 Gone, and scripted
// failures. It speaks lib/kube.ts's KubeClient, so the code under test runs as is.
import {
  type JsonPatchOp,
  type KubeClient,
  KubeError,
  type KubeList,
  namespacedName,
  type Query,
  type WatchStreamEventType,
} from '../lib/kube.js';
import type { KubeObject } from '../lib/kube-objects.js';

type Obj = KubeObject & { metadata: NonNullable<KubeObject['metadata']> };

interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  collection: string;
  obj: Obj;
}

interface Watcher {
  collection: string;
  namespace?: string;
  onEvent: (type: WatchStreamEventType, obj: unknown) => void;
  end: (err?: unknown) => void;
}

/** A path's parts: /api/v1/nodes/x, /apis/g/v/namespaces/ns/plural/name/status. */
function parsePath(path: string): {
  collection: string;
  namespace?: string;
  name?: string;
  sub?: string;
} {
  const segs = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const i = segs[0] === 'api' ? 2 : 3;
  let rest = segs.slice(i);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return {
    collection: `/${[...segs.slice(0, i), rest[0]].join('/')}`,
    namespace,
    name: rest[1],
    sub: rest[2],
  };
}

const clone = <T>(o: T): T => structuredClone(o);

/** RFC 7386: null deletes, objects merge, anything else replaces. */
function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const t = target[k];
      const inner = typeof t === 'object' && t !== null && !Array.isArray(t) ? t : {};
      target[k] = inner;
      mergeInto(inner as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = clone(v);
  }
}

/** RFC 6902, the operations the operator sends. A failed `test` is a 422, as the apiserver answers. */
function jsonPatchInto(target: Record<string, unknown>, ops: JsonPatchOp[]): void {
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop() as string;
    let parent: Record<string, unknown> | unknown[] = target;
    for (const p of parts) {
      const next = (parent as Record<string, unknown>)[p];
      if (typeof next !== 'object' || next === null)
        throw new KubeError(422, 'Invalid', `path ${op.path}: missing`);
      parent = next as Record<string, unknown>;
    }
    const here = parent as Record<string, unknown>;
    if (op.op === 'test') {
      if (JSON.stringify(here[last]) !== JSON.stringify(op.value))
        throw new KubeError(422, 'Invalid', `testing value ${op.path} failed`);
    } else if (op.op === 'remove') {
      if (!(last in here)) throw new KubeError(422, 'Invalid', `path ${op.path}: missing`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete here[last];
    } else if (Array.isArray(parent) && op.op === 'add') {
      if (last === '-') parent.push(clone(op.value));
      else parent.splice(Number(last), 0, clone(op.value));
    } else here[last] = clone(op.value);
  }
}

export class FakeKube implements KubeClient {
  private rv = 1;
  /** collection path -> namespace/name -> object */
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly changes: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  /** Watches may not start before this resourceVersion: older ones get 410 Gone. */
  private compactedRv = 0;
  /** Every request, in order: `METHOD path`. */
  readonly calls: string[] = [];
  /** Object path -> status.nodes entry -> the field manager that applied it. */
  private readonly nodeOwners = new Map<string, Map<string, string>>();
  /** Return an error to fail this request (called with `METHOD path`), undefined to serve it. */
  fail?: (call: string) => Error | undefined;

  /** Creates or replaces an object, as a user's `kubectl apply` would. */
  put(path: string, obj: object): Obj {
    const { collection } = parsePath(path);
    const o = clone(obj) as Obj;
    const key = namespacedName(o);
    const items = this.items(collection);
    const type = items.has(key) ? 'MODIFIED' : 'ADDED';
    o.metadata.resourceVersion = String(++this.rv);
    items.set(key, o);
    this.record({ rv: this.rv, type, collection, obj: o });
    return clone(o);
  }

  /** Deletes an object; with finalizers it only gets a deletionTimestamp, as in Kubernetes. */
  delete(path: string, key: string): void {
    const { collection } = parsePath(path);
    const o = this.items(collection).get(key);
    if (!o) return;
    if ((o.metadata.finalizers as string[] | undefined)?.length) {
      const marked = clone(o);
      marked.metadata.deletionTimestamp = new Date().toISOString();
      this.put(collection, marked);
      return;
    }
    this.items(collection).delete(key);
    this.record({ rv: ++this.rv, type: 'DELETED', collection, obj: o });
  }

  /** The stored object, or undefined. */
  object<T = Obj>(path: string, key: string): T | undefined {
    const o = this.items(parsePath(path).collection).get(key);
    return o && (clone(o) as T);
  }

  /**
   * Compacts history up to now: a watch from an older version is answered 410 Gone, and
   * every open watch ends with a 410 ERROR event (as when the apiserver drops a watcher
   * that fell behind the compaction).
   */
  compact(): void {
    this.compactedRv = this.rv;
    for (const w of this.watchers) {
      w.onEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
      w.end();
    }
  }

  /** How many watches are open now. */
  watching(): number {
    return this.watchers.size;
  }

  /** Ends every open watch cleanly, as the server does after timeoutSeconds. */
  endWatches(): void {
    for (const w of this.watchers) w.end();
  }

  /** Ends every open watch with an error (a dropped connection). */
  breakWatches(err = new Error('connection reset')): void {
    for (const w of this.watchers) w.end(err);
  }

  async list<T>(path: string, query: Query = {}): Promise<KubeList<T>> {
    this.check('LIST', path);
    const { collection, namespace } = parsePath(path);
    const items = [...this.items(collection).values()].filter(
      (o) => namespace === undefined || o.metadata.namespace === namespace,
    );
    const selected = query.labelSelector
      ? items.filter((o) => String(query.labelSelector) in ((o.metadata.labels as object) ?? {}))
      : items;
    return { metadata: { resourceVersion: String(this.rv) }, items: clone(selected) as T[] };
  }

  watch<T>(
    path: string,
    query: Query,
    onEvent: (type: WatchStreamEventType, obj: T) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.check('WATCH', path);
      } catch (err) {
        reject(err);
        return;
      }
      const { collection, namespace } = parsePath(path);
      const from = Number(query.resourceVersion ?? 0);
      const emit = onEvent as Watcher['onEvent'];
      if (from < this.compactedRv) {
        // HTTP 410, as the apiserver answers a watch from a version it no longer has;
        // over the network, so never in the same tick.
        setTimeout(
          () => reject(new KubeError(410, 'Expired', `too old resource version: ${from}`)),
          1,
        );
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const w: Watcher = {
        collection,
        namespace,
        onEvent: emit,
        end: (err) => {
          this.watchers.delete(w);
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        },
      };
      for (const c of this.changes) {
        if (c.rv > from && this.matches(w, c)) emit(c.type, clone(c.obj));
      }
      this.watchers.add(w);
      // The server ends a watch after timeoutSeconds.
      if (query.timeoutSeconds)
        timer = setTimeout(() => w.end(), Number(query.timeoutSeconds) * 1000);
      signal.addEventListener('abort', () => w.end(), { once: true });
    });
  }

  async get<T>(path: string): Promise<T> {
    this.check('GET', path);
    return clone(this.find(path)) as T;
  }

  async mergePatch<T>(path: string, patch: unknown): Promise<T> {
    this.check('PATCH', path);
    const o = clone(this.find(path));
    const { sub } = parsePath(path);
    const p = patch as Record<string, unknown>;
    // The status subresource takes only status; the object ignores status.
    if (sub === 'status') mergeInto(o as unknown as Record<string, unknown>, { status: p.status });
    else {
      const { status: _ignored, ...rest } = p;
      mergeInto(o as unknown as Record<string, unknown>, rest);
    }
    return this.update(path, o) as T;
  }

  /**
   * Server-side apply, modelled for what the operator applies: entries of status.nodes,
   * each owned by the manager that last applied it.
   */
  async apply<T>(path: string, obj: unknown, fieldManager: string, force = true): Promise<T> {
    this.check('PATCH', path);
    const o = clone(this.find(path)) as Obj & { status?: { nodes?: Record<string, unknown> } };
    const applied = (obj as { status?: { nodes?: Record<string, unknown> } }).status?.nodes ?? {};
    const key = path.replace(/\/status$/, '');
    const owners = this.nodeOwners.get(key) ?? new Map<string, string>();
    this.nodeOwners.set(key, owners);
    o.status ??= {};
    const nodes = o.status.nodes ?? {};
    for (const [n, v] of Object.entries(applied)) {
      const owner = owners.get(n);
      if (
        !force &&
        owner &&
        owner !== fieldManager &&
        JSON.stringify(nodes[n]) !== JSON.stringify(v)
      )
        throw new KubeError(
          409,
          'Conflict',
          `Apply failed with 1 conflict: status.nodes.${n} (${owner})`,
        );
    }
    for (const [n, m] of owners)
      if (m === fieldManager && !(n in applied)) {
        delete nodes[n];
        owners.delete(n);
      }
    for (const [n, v] of Object.entries(applied)) {
      nodes[n] = clone(v);
      owners.set(n, fieldManager);
    }
    o.status.nodes = nodes;
    return this.update(path, o) as T;
  }

  async jsonPatch<T>(path: string, ops: JsonPatchOp[]): Promise<T> {
    this.check('PATCH', path);
    const o = clone(this.find(path));
    jsonPatchInto(o as unknown as Record<string, unknown>, ops);
    return this.update(path, o) as T;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.check(method, path);
    const { collection, namespace, name } = parsePath(path);
    if (method === 'DELETE') {
      this.delete(collection, `${namespace ?? ''}/${name ?? ''}`);
      return {} as T;
    }
    if (method === 'POST') return this.put(collection, body as KubeObject) as T;
    if (method === 'GET') return this.get<T>(path);
    throw new KubeError(405, 'MethodNotAllowed', `${method} ${path}`);
  }

  private items(collection: string): Map<string, Obj> {
    let m = this.store.get(collection);
    if (!m) {
      m = new Map();
      this.store.set(collection, m);
    }
    return m;
  }

  private check(method: string, path: string): void {
    const call = `${method} ${path}`;
    this.calls.push(call);
    const err = this.fail?.(call);
    if (err) throw err;
  }

  private find(path: string): Obj {
    const { collection, namespace, name } = parsePath(path);
    const o = this.items(collection).get(`${namespace ?? ''}/${name ?? ''}`);
    if (!o) throw new KubeError(404, 'NotFound', `${path} not found`);
    return o;
  }

  private update(path: string, o: Obj): Obj {
    const { collection } = parsePath(path);
    const deleting =
      o.metadata.deletionTimestamp && !(o.metadata.finalizers as string[] | undefined)?.length;
    const stored = this.put(collection, o);
    // The last finalizer gone from an object being deleted: it goes.
    if (deleting) this.delete(collection, namespacedName(o));
    return stored;
  }

  private matches(w: Watcher, c: Change): boolean {
    return (
      c.collection === w.collection &&
      (w.namespace === undefined || c.obj.metadata.namespace === w.namespace)
    );
  }

  private record(c: Change): void {
    this.changes.push(c);
    for (const w of this.watchers) if (this.matches(w, c)) w.onEvent(c.type, clone(c.obj));
  }
}
