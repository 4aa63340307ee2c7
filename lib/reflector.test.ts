import { afterEach, describe, expect, it } from 'vitest';
import { FakeKube } from '../test/fake-kube.js';
import type { KubeObject } from './kube-objects.js';
import { logger } from './log.js';
import { Reflector, Store } from './reflector.js';

// The watch loop against an apiserver in memory, the shape of client-node's own
// cache tests: list then watch, relist on 410, backoff, periodic relist.
const PODS = '/api/v1/pods';
const pod = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { namespace: 'demo', name, labels },
});
const silent = logger('test', 'silent');

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const lists = (kube: FakeKube) => kube.calls.filter((c) => c.startsWith('LIST')).length;

describe('Reflector', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  function reflect(kube: FakeKube, opts: Partial<ConstructorParameters<typeof Reflector>[1]> = {}) {
    const store = new Store<KubeObject>();
    const r = new Reflector(kube, { path: PODS, ...opts }, store, silent);
    stop = () => r.stop();
    return { store, synced: r.start() };
  }

  it('lists, then watches from the list: nothing made between the two is missed', async () => {
    const kube = new FakeKube();
    kube.put(PODS, pod('a'));
    const { store, synced } = reflect(kube);
    await synced;
    expect([...store.items.keys()]).toEqual(['demo/a']);
    kube.put(PODS, pod('b'));
    kube.delete(PODS, 'demo/a');
    await until(() => store.items.has('demo/b') && !store.items.has('demo/a'));
    expect(lists(kube)).toBe(1);
    expect(kube.calls.filter((c) => c.startsWith('WATCH'))).toHaveLength(1);
  });

  it('relists when its resourceVersion is compacted away (410 Gone) and sees what changed meanwhile', async () => {
    const kube = new FakeKube();
    kube.put(PODS, pod('a'));
    const { store, synced } = reflect(kube, { backoff: { initialMs: 10_000, maxMs: 10_000 } });
    await synced;
    await until(() => kube.watching() === 1);
    // The watch ends; before it is renewed, objects change and etcd compacts past them.
    kube.endWatches();
    kube.put(PODS, pod('b'));
    kube.delete(PODS, 'demo/a');
    kube.compact();
    await until(() => store.items.has('demo/b') && !store.items.has('demo/a'), 2000);
    // A 410 is no failure: the relist came at once, not after the 10 s backoff.
    expect(lists(kube)).toBe(2);
    kube.put(PODS, pod('c'));
    await until(() => store.items.has('demo/c'));
  });

  it('resumes a broken watch from its resourceVersion, and relists when an open watch says 410', async () => {
    const kube = new FakeKube();
    kube.put(PODS, pod('a'));
    const { store, synced } = reflect(kube, { backoff: { initialMs: 20, maxMs: 20 } });
    await synced;
    await until(() => kube.watching() === 1);
    kube.breakWatches();
    kube.put(PODS, pod('b')); // replayed by the resumed watch: no relist needed
    await until(() => store.items.has('demo/b'));
    expect(lists(kube)).toBe(1);
    expect(kube.calls.filter((c) => c.startsWith('WATCH')).length).toBeGreaterThanOrEqual(2);

    await until(() => kube.watching() === 1);
    kube.compact(); // the open watch gets a 410 ERROR event
    await until(() => lists(kube) === 2);
    kube.put(PODS, pod('c'));
    await until(() => store.items.has('demo/c'));
  });

  it('backs off while the apiserver fails, then syncs', async () => {
    const kube = new FakeKube();
    kube.put(PODS, pod('a'));
    let failures = 3;
    const at: number[] = [];
    kube.fail = (call) => {
      if (!call.startsWith('LIST')) return undefined;
      at.push(Date.now());
      return failures-- > 0 ? new Error('connection refused') : undefined;
    };
    const { store, synced } = reflect(kube, { backoff: { initialMs: 40, maxMs: 1000, jitter: 0 } });
    await synced;
    expect(store.items.has('demo/a')).toBe(true);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    // 40, 80, 160 ms: growing, each at least the backoff.
    expect(gaps).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
  });

  it('relists now and then even when all is well', async () => {
    const kube = new FakeKube();
    kube.put(PODS, pod('a'));
    const { store, synced } = reflect(kube, { relistMs: 100 });
    await synced;
    expect(lists(kube)).toBe(1);
    // The watch lasts its timeoutSeconds (1 s here), then the loop relists.
    await until(() => lists(kube) >= 2, 3000);
    expect(store.items.has('demo/a')).toBe(true);
  });
});
