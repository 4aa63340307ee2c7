import { afterEach, describe, expect, it } from 'vitest';
import { FakeKube } from '../test/fake-kube.js';
import { Informers } from './informer.js';
import type { KubeObject } from './kube-objects.js';
import { logger } from './log.js';
import { Store } from './reflector.js';

// Shared watches against an apiserver in memory: one list and one watch per
// collection whatever the number of subscribers, each told everything.
const PODS = '/api/v1/pods';
const NODES = '/api/v1/nodes';
const obj = (name: string, namespace = 'demo'): KubeObject => ({ metadata: { namespace, name } });
const silent = logger('test', 'silent');

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Informers', () => {
  let informers: Informers | undefined;
  afterEach(() => informers?.stop());

  it('watches a collection once for every subscriber, each with its own synced promise', async () => {
    const kube = new FakeKube();
    kube.put(PODS, obj('a'));
    kube.put(NODES, obj('n1', ''));
    informers = new Informers(kube, silent);
    const first = new Store<KubeObject>();
    const second = new Store<KubeObject>();
    const nodes = new Store<KubeObject>();
    const subs = [
      informers.subscribe(PODS, first),
      informers.subscribe(PODS, second),
      informers.subscribe(NODES, nodes),
    ];
    informers.start();
    await Promise.all(subs.map((s) => s.synced));
    expect([...first.items.keys()]).toEqual(['demo/a']);
    expect([...second.items.keys()]).toEqual(['demo/a']);
    expect([...nodes.items.keys()]).toEqual(['/n1']);
    kube.put(PODS, obj('b'));
    await until(() => first.items.has('demo/b') && second.items.has('demo/b'));
    expect(kube.calls.filter((c) => c.startsWith(`LIST ${PODS}`))).toHaveLength(1);
    expect(kube.calls.filter((c) => c.startsWith(`WATCH ${PODS}`))).toHaveLength(1);
  });

  it('keeps a query apart: another label selector is another watch', async () => {
    const kube = new FakeKube();
    informers = new Informers(kube, silent);
    const all = informers.subscribe(PODS, new Store<KubeObject>());
    const some = informers.subscribe(PODS, new Store<KubeObject>(), { labelSelector: 'a=b' });
    informers.start();
    await Promise.all([all.synced, some.synced]);
    expect(kube.calls.filter((c) => c.startsWith(`LIST ${PODS}`))).toHaveLength(2);
  });

  it('refuses a subscriber after start, which would miss the first list', () => {
    informers = new Informers(new FakeKube(), silent);
    informers.subscribe(PODS, new Store<KubeObject>());
    informers.start();
    expect(() => informers?.subscribe(PODS, new Store<KubeObject>())).toThrow(/before it starts/);
  });
});
