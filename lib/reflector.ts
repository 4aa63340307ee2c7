// The watch loop, as client-go's reflector: list, then watch from the list's
// resourceVersion. A watch the server ends, or whose connection breaks, resumes
// from the last resourceVersion seen (after a backoff, lib/backoff.ts, when it
// broke); a 410 Gone (that version was compacted away) or any other error the
// server answers means list again, as does the periodic relist. It never gives up
// and never exits the process: a failure is logged and retried.
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type BackoffPolicy } from './backoff.js';
import {
  isGone,
  type KubeClient,
  KubeError,
  namespacedName,
  type Query,
  type WatchEventType,
} from './kube.js';
import type { KubeObject } from './kube-objects.js';
import type { Logger } from './log.js';

export interface ReflectorHandlers<T> {
  /** The whole state after a (re)list: objects absent from it are gone. */
  onReset(items: T[]): void;
  onEvent(type: WatchEventType, obj: T): void;
}

export interface ReflectorOptions {
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  query?: Query;
  /** Relist this often even when all is well (default 10 min), as client-go's resync does. */
  relistMs?: number;
  /** Default: 200 ms doubling to 30 s. */
  backoff?: BackoffPolicy;
}

/** Keeps a store of T in step with the API. */
export class Reflector<T extends KubeObject> {
  private readonly abort = new AbortController();
  private readonly synced: Promise<void>;
  private markSynced!: () => void;
  private rv = '';

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: ReflectorOptions,
    private readonly handlers: ReflectorHandlers<T>,
    private readonly log: Logger,
  ) {
    this.synced = new Promise((r) => {
      this.markSynced = r;
    });
  }

  /** Starts the loop; resolves once the first list has been delivered. */
  start(): Promise<void> {
    void this.run();
    return this.synced;
  }

  stop(): void {
    this.abort.abort();
  }

  private async relist(): Promise<void> {
    const list = await this.kube.list<T>(this.opts.path, this.opts.query);
    this.rv = list.metadata?.resourceVersion ?? '';
    this.handlers.onReset(list.items);
    this.markSynced();
  }

  private expired(): void {
    this.log.debug(
      { path: this.opts.path, resourceVersion: this.rv },
      'resourceVersion expired, relisting',
    );
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff ?? { initialMs: 200, maxMs: 30_000 });
    const relistMs = this.opts.relistMs ?? 600_000;
    let needList = true;
    let listedAt = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (needList || Date.now() - listedAt > relistMs) {
          await this.relist();
          listedAt = Date.now();
          needList = false;
        }
        // The server ends a watch after timeoutSeconds; the loop then resumes from rv.
        const timeoutSeconds = Math.max(
          1,
          Math.min(300, Math.ceil((relistMs - (Date.now() - listedAt)) / 1000)),
        );
        const watchEnd = new AbortController();
        const endWatch = () => watchEnd.abort();
        signal.addEventListener('abort', endWatch, { once: true });
        let failure: unknown;
        await this.kube
          .watch<T & { code?: number }>(
            this.opts.path,
            {
              ...this.opts.query,
              resourceVersion: this.rv,
              allowWatchBookmarks: true,
              timeoutSeconds,
            },
            (type, obj) => {
              if (watchEnd.signal.aborted) return;
              if (type === 'ERROR') {
                // A Status object: 410 means rv is too old, anything else is a failure.
                needList = true;
                if (obj.code === 410) this.expired();
                else failure = new KubeError(obj.code ?? 500, '', `watch: ${JSON.stringify(obj)}`);
                watchEnd.abort();
                return;
              }
              const rv = obj.metadata?.resourceVersion;
              if (rv) this.rv = rv;
              if (type !== 'BOOKMARK') this.handlers.onEvent(type, obj);
            },
            watchEnd.signal,
          )
          .finally(() => signal.removeEventListener('abort', endWatch));
        if (failure) throw failure;
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          needList = true;
          this.expired();
          continue;
        }
        // The server refused: start afresh. A broken connection: resume from rv.
        if (err instanceof KubeError) needList = true;
        const retryMs = backoff.next();
        this.log.warn({ path: this.opts.path, err, retryMs }, 'watch failed');
        await sleep(retryMs, undefined, { signal }).catch(() => {});
      }
    }
  }
}

/** A Reflector's handlers for the common case: a map of objects by namespace/name. */
export class Store<T extends KubeObject> implements ReflectorHandlers<T> {
  readonly items = new Map<string, T>();

  constructor(
    private readonly onChange?: (key: string, obj: T | undefined, old: T | undefined) => void,
  ) {}

  onReset(items: T[]): void {
    const fresh = new Map(items.map((o) => [namespacedName(o), o]));
    for (const [k, old] of this.items) {
      if (!fresh.has(k)) {
        this.items.delete(k);
        this.onChange?.(k, undefined, old);
      }
    }
    for (const [k, o] of fresh) this.set(k, o);
  }

  onEvent(type: WatchEventType, obj: T): void {
    const k = namespacedName(obj);
    if (type === 'DELETED') {
      const old = this.items.get(k);
      this.items.delete(k);
      this.onChange?.(k, undefined, old);
    } else this.set(k, obj);
  }

  /** Also takes objects the caller got back from its own writes, so it never acts on a stale copy. */
  set(k: string, o: T): void {
    const old = this.items.get(k);
    if (old && !newer(o, old)) return;
    this.items.set(k, o);
    this.onChange?.(k, o, old);
  }
}

/** resourceVersions are opaque, but the apiserver's are etcd revisions: compare them when numeric. */
function newer(a: KubeObject, b: KubeObject): boolean {
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (/^\d+$/.test(ra) && /^\d+$/.test(rb)) return BigInt(ra) > BigInt(rb);
  return ra !== rb;
}
