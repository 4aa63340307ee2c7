// Shared watches, as client-go's shared informers: one list-and-watch per resource
// (lib/reflector.ts) whatever the number of parts that want it, each part a subscriber
// with its own handlers and its own "synced" promise (client-go's AddEventHandler and
// per-listener HasSynced). Subscribers come before start: the informer keeps no copy of
// the objects to replay to a late one, so each part keeps only what it needs (enrichment
// its compact records, the controller its Traces).
import type { KubeClient, Query, WatchEventType } from './kube.js';
import type { KubeObject } from './kube-objects.js';
import type { Logger } from './log.js';
import { Reflector, type ReflectorHandlers } from './reflector.js';

export interface Subscription {
  /** Resolves once this subscriber has had the first list. */
  readonly synced: Promise<void>;
}

interface Subscriber<T> {
  handlers: ReflectorHandlers<T>;
  markSynced(): void;
}

/** One watch of one collection, fanned out to its subscribers in the order they came. */
export class SharedInformer<T extends KubeObject> {
  private readonly subscribers: Subscriber<T>[] = [];
  private readonly reflector: Reflector<T>;
  private started = false;

  constructor(kube: KubeClient, path: string, query: Query | undefined, log: Logger) {
    this.reflector = new Reflector<T>(
      kube,
      { path, query },
      {
        onReset: (items) => {
          for (const s of this.subscribers) {
            s.handlers.onReset(items);
            s.markSynced();
          }
        },
        onEvent: (type: WatchEventType, obj: T) => {
          for (const s of this.subscribers) s.handlers.onEvent(type, obj);
        },
      },
      log.child({ watch: path }),
    );
  }

  subscribe(handlers: ReflectorHandlers<T>): Subscription {
    if (this.started) throw new Error('subscribe to an informer before it starts');
    let markSynced!: () => void;
    const synced = new Promise<void>((resolve) => {
      markSynced = resolve;
    });
    this.subscribers.push({ handlers, markSynced });
    return { synced };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.reflector.start();
  }

  stop(): void {
    this.reflector.stop();
  }
}

/** The process's informers, one per (path, query): parts subscribe, main starts them all. */
export class Informers {
  private readonly byKey = new Map<string, SharedInformer<KubeObject>>();

  constructor(
    private readonly kube: KubeClient,
    private readonly log: Logger,
  ) {}

  /** Subscribes to the collection at `path` (e.g. /api/v1/pods), watched once however many ask. */
  subscribe<T extends KubeObject>(
    path: string,
    handlers: ReflectorHandlers<T>,
    query?: Query,
  ): Subscription {
    const key = `${path}?${new URLSearchParams(query as Record<string, string>)}`;
    let informer = this.byKey.get(key);
    if (!informer) {
      informer = new SharedInformer(this.kube, path, query, this.log);
      this.byKey.set(key, informer);
    }
    return (informer as unknown as SharedInformer<T>).subscribe(handlers);
  }

  start(): void {
    for (const i of this.byKey.values()) i.start();
  }

  stop(): void {
    for (const i of this.byKey.values()) i.stop();
  }
}
