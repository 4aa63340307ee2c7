import { describe, expect, it } from 'vitest';
import type { Pod, Service } from '../../lib/kube-objects.js';
import { fixtureObjects, fixtureState } from '../../test/fixtures/k8s/cluster.js';
import { ClusterState, selects } from './cluster-state.js';

function clock() {
  const c = { now: 1_700_000_000_000 };
  return { c, now: () => c.now };
}

const pod = (name: string, ip: string, extra: Partial<Pod['status']> = {}): Pod => ({
  metadata: { name, namespace: 'demo', uid: `uid-${name}`, labels: { app: name } },
  spec: { containers: [], nodeName: 'node-a' },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], ...extra },
});

describe('ClusterState indexes', () => {
  const state = fixtureState();

  it('indexes both IPs of a dual-stack pod, in canonical form', () => {
    expect(state.podAt('10.244.1.5')?.name).toBe('client-7d4b9c-x2k4p');
    expect(state.podAt('fd00:10:244::5')?.name).toBe('client-7d4b9c-x2k4p');
    expect(state.podAt('fd00:10:244:0::5')).toBeUndefined(); // lookups take canonical text
  });

  it('indexes both cluster IPs of a dual-stack service, and its LB and external IPs', () => {
    expect(state.servicesAt('10.96.12.34')?.map((s) => s.name)).toEqual(['server']);
    expect(state.servicesAt('fd00:10:96::1234')?.map((s) => s.name)).toEqual(['server']);
    expect(state.servicesAt('198.51.100.7')?.map((s) => s.name)).toEqual(['web']);
    expect(state.servicesAt('192.0.2.10')?.map((s) => s.name)).toEqual(['web', 'dns']);
  });

  it('gives a headless service no IP', () => {
    expect(state.servicesAt('None')).toBeUndefined();
    // server 2, web 3, dns 1 of its own (its load-balancer IP is web's).
    expect(state.stats().serviceIPs).toBe(6);
  });

  it('does not count a hostNetwork pod as the owner of its node IP, but knows it by name', () => {
    expect(state.podAt('10.250.0.3')).toBeUndefined();
    expect(state.nodeAt('10.250.0.3')?.name).toBe('node-a');
    expect(state.pod('kube-system', 'kube-proxy-8xk2m')?.hostNetwork).toBe(true);
  });

  it('indexes every IP address of a node, not its host name', () => {
    expect(state.nodeAt('fd00:10:250::3')?.ref).toBe('node/node-a');
    expect(state.nodeAt('203.0.113.10')?.ref).toBe('node/node-a');
    expect(state.nodeAt('node-a')).toBeUndefined();
    expect(state.nodeAt('10.250.0.4')?.ref).toBe('node/node-b');
  });

  it('does not count a finished pod as holding its IP', () => {
    expect(state.podAt('10.244.1.20')).toBeUndefined();
    expect(state.pod('ops', 'backup-28929940-h2m9d')?.terminal).toBe(true);
  });

  it('counts what it holds', () => {
    expect(state.stats()).toEqual({
      pods: 7,
      services: 4,
      nodes: 2,
      replicaSets: 1,
      jobs: 1,
      podIPs: 7, // client 2, server 2, backup, orphan, debug
      serviceIPs: 6,
      nodeIPs: 4,
    });
  });

  it('keeps only what enrichment needs of an object', () => {
    const p = state.pod('demo', 'client-7d4b9c-x2k4p');
    expect(p).toEqual({
      uid: '1c000000-0000-4000-8000-000000000001',
      namespace: 'demo',
      name: 'client-7d4b9c-x2k4p',
      nodeName: 'node-a',
      ips: ['10.244.1.5', 'fd00:10:244::5'],
      hostIPs: ['10.250.0.3', 'fd00:10:250::3'],
      labels: { app: 'client', 'pod-template-hash': '7d4b9c' },
      hostNetwork: false,
      terminal: false,
      controller: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'client-7d4b9c',
        uid: '1b000000-0000-4000-8000-000000000001',
      },
    });
    expect(Object.isFrozen(p?.labels)).toBe(true);
  });
});

describe('ClusterState updates', () => {
  it('releases the IP of a pod that finished', () => {
    const state = new ClusterState();
    state.apply('Pod', 'ADDED', pod('job', '10.244.1.40'));
    expect(state.podAt('10.244.1.40')?.name).toBe('job');
    state.apply('Pod', 'MODIFIED', pod('job', '10.244.1.40', { phase: 'Succeeded' }));
    expect(state.podAt('10.244.1.40', new Date(Date.now() + 1000).toISOString())?.name).toBe('job'); // still explains the traffic of its last seconds
    const later = new ClusterState();
    later.reset('Pod', [pod('job', '10.244.1.40', { phase: 'Succeeded' })]);
    expect(later.podAt('10.244.1.40')).toBeUndefined();
  });

  it('attributes a reused IP by the edge time, across a delete and an add', () => {
    const { c, now } = clock();
    const state = new ClusterState({ now });
    state.apply('Pod', 'ADDED', pod('old', '10.244.1.30'));
    c.now += 60_000;
    state.apply('Pod', 'DELETED', pod('old', '10.244.1.30'));
    const deletedAt = c.now;
    c.now += 2_000;
    state.apply('Pod', 'ADDED', pod('new', '10.244.1.30'));
    const at = (ms: number) => new Date(deletedAt + ms).toISOString();
    expect(state.podAt('10.244.1.30', at(-3_000))?.name).toBe('old');
    expect(state.podAt('10.244.1.30', at(1_000))?.name).toBe('old');
    expect(state.podAt('10.244.1.30', at(3_000))?.name).toBe('new');
    expect(state.podAt('10.244.1.30')?.name).toBe('new');
  });

  it('answers a deleted pod by name until the retention passes', () => {
    const { c, now } = clock();
    const state = new ClusterState({ now, retentionMs: 60_000 });
    state.apply('Pod', 'ADDED', pod('gone', '10.244.1.31'));
    state.apply('Pod', 'DELETED', pod('gone', '10.244.1.31'));
    expect(state.pod('demo', 'gone')?.name).toBe('gone');
    expect(state.stats().pods).toBe(0);
    c.now += 60_001;
    state.prune();
    expect(state.pod('demo', 'gone')).toBeUndefined();
    expect(state.podAt('10.244.1.31')).toBeUndefined();
    expect(state.stats().podIPs).toBe(0);
  });

  it('keeps a recreated pod of the same name when its predecessor is pruned', () => {
    const { c, now } = clock();
    const state = new ClusterState({ now, retentionMs: 60_000 });
    state.apply('Pod', 'ADDED', pod('web-0', '10.244.1.32'));
    state.apply('Pod', 'DELETED', pod('web-0', '10.244.1.32'));
    const again = pod('web-0', '10.244.1.33');
    again.metadata = { ...again.metadata, uid: 'uid-web-0-again' };
    state.apply('Pod', 'ADDED', again);
    c.now += 60_001;
    state.prune();
    expect(state.pod('demo', 'web-0')?.uid).toBe('uid-web-0-again');
  });

  it('treats objects missing from a relist as deleted, and keeps the rest', () => {
    const state = fixtureState();
    const objs = fixtureObjects();
    const services = objs
      .filter((o) => o.kind === 'Service')
      .filter((o) => o.metadata?.name !== 'web');
    state.reset('Service', services as Service[]);
    expect(state.servicesAt('10.96.0.80')).toBeUndefined();
    expect(state.servicesAt('192.0.2.10')?.map((s) => s.name)).toEqual(['dns']);
    expect(state.servicesAt('10.96.12.34')?.map((s) => s.name)).toEqual(['server']);
    state.reset('Node', []);
    expect(state.nodeAt('10.250.0.3')).toBeUndefined();
    state.reset('ReplicaSet', []);
    expect(state.controller('ReplicaSet', 'demo', 'client-7d4b9c')).toBeUndefined();
  });
});

describe('selecting services', () => {
  it('matches a selector against pod labels; no selector selects nothing', () => {
    expect(selects({ app: 'a' }, { app: 'a', tier: 'x' })).toBe(true);
    expect(selects({ app: 'a', tier: 'y' }, { app: 'a', tier: 'x' })).toBe(false);
  });

  it('lists the services of the pod namespace that select the pod, by name', () => {
    const state = fixtureState();
    const server = state.pod('demo', 'server-0');
    if (!server) throw new Error('fixture');
    expect(state.servicesOf(server).map((s) => s.name)).toEqual(['server', 'server-headless']);
    const debug = state.pod('demo', 'debug');
    if (!debug) throw new Error('fixture');
    expect(state.servicesOf(debug)).toEqual([]);
  });

  it('sees a service added after the answer was memoized', () => {
    const state = fixtureState();
    const debug = state.pod('demo', 'debug');
    if (!debug) throw new Error('fixture');
    expect(state.servicesOf(debug)).toEqual([]);
    state.apply('Service', 'ADDED', {
      metadata: { name: 'debug', namespace: 'demo', uid: 'svc-debug' },
      spec: { selector: { run: 'debug' }, clusterIP: '10.96.0.99', ports: [{ port: 80 }] },
    });
    expect(state.servicesOf(debug).map((s) => s.name)).toEqual(['debug']);
    // Same name in another namespace: not this pod's.
    state.apply('Service', 'ADDED', {
      metadata: { name: 'debug', namespace: 'other', uid: 'svc-debug-2' },
      spec: { selector: { run: 'debug' }, clusterIP: '10.96.0.98' },
    });
    expect(state.servicesOf(debug).map((s) => s.namespace)).toEqual(['demo']);
  });
});
