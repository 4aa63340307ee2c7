import { describe, expect, it } from 'vitest';
import { FINALIZER, TRACES_PATH } from '../../api/trace.js';
import { logger } from '../../lib/log.js';
import { FakeKube } from '../../test/fake-kube.js';
import { releaseFinalizers } from './release-finalizers.js';

const silent = logger('test', 'silent');
const trace = (namespace: string, name: string, finalizers?: string[]) => ({
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: { namespace, name, ...(finalizers ? { finalizers } : {}) },
});

describe('releaseFinalizers (the chart post-delete hook)', () => {
  it("removes only netgraph's finalizer, from every Trace that holds it", async () => {
    const kube = new FakeKube();
    kube.put(TRACES_PATH, trace('a', 'one', [FINALIZER]));
    kube.put(TRACES_PATH, trace('b', 'two', ['example.com/keep', FINALIZER]));
    kube.put(TRACES_PATH, trace('b', 'three'));
    expect(await releaseFinalizers(kube, silent)).toBe(2);
    const fin = (key: string) =>
      kube.object<{ metadata: { finalizers?: string[] } }>(TRACES_PATH, key)?.metadata.finalizers ??
      [];
    expect(fin('a/one')).toEqual([]);
    expect(fin('b/two')).toEqual(['example.com/keep']);
    expect(fin('b/three')).toEqual([]);
  });

  it('reads the Traces again when a finalizer moved since the list', async () => {
    const kube = new FakeKube();
    kube.put(TRACES_PATH, trace('a', 'one', ['x', FINALIZER]));
    let first = true;
    kube.fail = (call) => {
      if (first && call.startsWith('PATCH')) {
        first = false;
        // Someone removed 'x' between the list and the patch: index 1 is gone.
        kube.put(TRACES_PATH, trace('a', 'one', [FINALIZER]));
      }
      return undefined;
    };
    expect(await releaseFinalizers(kube, silent)).toBe(1);
    expect(
      kube.object<{ metadata: { finalizers?: string[] } }>(TRACES_PATH, 'a/one')?.metadata
        .finalizers,
    ).toEqual([]);
  });
});
