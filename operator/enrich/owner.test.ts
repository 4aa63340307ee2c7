import { describe, expect, it } from 'vitest';
import type { ReplicaSet } from '../../lib/kube-objects.js';
import { fixtureState } from '../../test/fixtures/k8s/cluster.js';
import { ClusterState } from './cluster-state.js';
import { type ControllerLookup, podOwner } from './owner.js';
import type { OwnerRef, PodRecord } from './records.js';

const podWith = (controller: OwnerRef | undefined): PodRecord => ({
  uid: 'p',
  namespace: 'demo',
  name: 'p',
  nodeName: undefined,
  ips: [],
  hostIPs: [],
  labels: {},
  hostNetwork: false,
  terminal: false,
  controller,
});

const nothing: ControllerLookup = { controller: () => undefined };

describe('podOwner', () => {
  const state = fixtureState();
  const owner = (ns: string, name: string) => {
    const p = state.pod(ns, name);
    if (!p) throw new Error(`no pod ${ns}/${name}`);
    return state.ownerOf(p);
  };

  it('walks Pod -> ReplicaSet -> Deployment', () => {
    expect(owner('demo', 'client-7d4b9c-x2k4p')).toEqual({ kind: 'Deployment', name: 'client' });
  });

  it('walks Pod -> Job -> CronJob', () => {
    expect(owner('ops', 'backup-28930000-qv7zl')).toEqual({ kind: 'CronJob', name: 'backup' });
  });

  it('takes a StatefulSet or a DaemonSet as named on the pod', () => {
    expect(owner('demo', 'server-0')).toEqual({ kind: 'StatefulSet', name: 'server' });
    expect(owner('kube-system', 'kube-proxy-8xk2m')).toEqual({
      kind: 'DaemonSet',
      name: 'kube-proxy',
    });
  });

  it('stops at the last known owner when the chain is broken, guessing nothing from names', () => {
    expect(owner('demo', 'orphan-5f6d7c8b9-qq2wz')).toEqual({
      kind: 'ReplicaSet',
      name: 'orphan-5f6d7c8b9',
    });
  });

  it('has no owner for a bare pod', () => {
    expect(owner('demo', 'debug')).toBeUndefined();
  });

  it('does not step through a same-named kind of another API group', () => {
    const ref = { apiVersion: 'batch.volcano.sh/v1alpha1', kind: 'Job', name: 'train', uid: 'v' };
    const lookup: ControllerLookup = {
      controller: () => ({ uid: 'v', namespace: 'demo', name: 'train', controller: undefined }),
    };
    expect(podOwner(podWith(ref), lookup)).toEqual({ kind: 'Job', name: 'train' });
    expect(podOwner(podWith(undefined), nothing)).toBeUndefined();
  });

  it('treats a cached object of the same name but another uid as a broken chain', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'new' };
    const lookup: ControllerLookup = {
      controller: () => ({
        uid: 'old',
        namespace: 'demo',
        name: 'web-1',
        controller: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd' },
      }),
    };
    expect(podOwner(podWith(ref), lookup)).toEqual({ kind: 'ReplicaSet', name: 'web-1' });
  });

  it('ends on a cycle', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'loop', uid: 'l' };
    const lookup: ControllerLookup = {
      controller: () => ({ uid: 'l', namespace: 'demo', name: 'loop', controller: ref }),
    };
    expect(podOwner(podWith(ref), lookup)).toEqual({ kind: 'ReplicaSet', name: 'loop' });
  });

  it('completes the chain when the ReplicaSet arrives after the pod (memo invalidated)', () => {
    const s = new ClusterState();
    s.apply('Pod', 'ADDED', {
      metadata: {
        name: 'api-6c9f-abcde',
        namespace: 'demo',
        uid: 'pod-api',
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'api-6c9f',
            uid: 'rs-api',
            controller: true,
          },
        ],
      },
      status: { phase: 'Running', podIPs: [{ ip: '10.244.3.3' }] },
    });
    const p = s.pod('demo', 'api-6c9f-abcde');
    if (!p) throw new Error('pod');
    expect(s.ownerOf(p)).toEqual({ kind: 'ReplicaSet', name: 'api-6c9f' });
    const rs: ReplicaSet = {
      metadata: {
        name: 'api-6c9f',
        namespace: 'demo',
        uid: 'rs-api',
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'api',
            uid: 'dep-api',
            controller: true,
          },
        ],
      },
    };
    s.apply('ReplicaSet', 'ADDED', rs);
    expect(s.ownerOf(p)).toEqual({ kind: 'Deployment', name: 'api' });
    s.apply('ReplicaSet', 'DELETED', rs);
    expect(s.ownerOf(p)).toEqual({ kind: 'ReplicaSet', name: 'api-6c9f' });
  });
});
