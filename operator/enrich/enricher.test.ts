import { describe, expect, it } from 'vitest';
import { type Edge, edgeKey, edgeToJSON } from '../../api/edge.js';
import { fixtureState } from '../../test/fixtures/k8s/cluster.js';
import { Enricher } from './enricher.js';

const raw = (e: Partial<Edge>): Edge => ({
  node: 'node-a',
  namespace: 'demo',
  pod: 'client-7d4b9c-x2k4p',
  type: 'normal',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ...e,
});

function setup() {
  const clock = { now: Date.parse('2025-11-23T10:00:00Z') };
  const state = fixtureState({ now: () => clock.now });
  const names = new Map([['192.0.2.99', 'api.example.net']]);
  const enricher = new Enricher(state, { lookup: (ip) => names.get(ip) });
  return { state, clock, enrich: (e: Partial<Edge>) => enricher.enrich(raw(e)) };
}

describe('Enricher, local side', () => {
  const { enrich } = setup();

  it('fills the pod IP and host IP of the edge family, labels and the walked owner', () => {
    const v4 = enrich({ ip: '10.96.12.34', port: 80 });
    expect(v4).toMatchObject({
      podIP: '10.244.1.5',
      podHostIP: '10.250.0.3',
      podLabels: { app: 'client', 'pod-template-hash': '7d4b9c' },
      podOwner: 'client',
      podOwnerKind: 'Deployment',
    });
    const v6 = enrich({ ip: 'fd00:10:96::1234', port: 80 });
    expect(v6).toMatchObject({ podIP: 'fd00:10:244::5', podHostIP: 'fd00:10:250::3' });
  });

  it('falls back to the primary IP when the pod has none of the edge family', () => {
    const e = enrich({ namespace: 'demo', pod: 'debug', ip: 'fd00:10:244:1::9', port: 8080 });
    expect(e.podIP).toBe('10.244.1.6');
  });

  it('names the last known owner of a broken chain, and none for a bare pod', () => {
    const orphan = enrich({ pod: 'orphan-5f6d7c8b9-qq2wz', ip: '10.244.1.5', port: 80 });
    expect([orphan.podOwnerKind, orphan.podOwner]).toEqual(['ReplicaSet', 'orphan-5f6d7c8b9']);
    const bare = enrich({ pod: 'debug', ip: '10.244.1.5', port: 80 });
    expect([bare.podOwnerKind, bare.podOwner]).toEqual([undefined, undefined]);
    const job = enrich({ namespace: 'ops', pod: 'backup-28930000-qv7zl', ip: '10.244.2.9' });
    expect([job.podOwnerKind, job.podOwner]).toEqual(['CronJob', 'backup']);
  });

  it('leaves the local fields empty for a pod it does not know', () => {
    const e = enrich({ pod: 'unknown', ip: '10.244.2.9', port: 8080 });
    expect(e.podIP).toBeUndefined();
    expect(e.remoteKind).toBe('pod');
  });

  it('passes other event types through untouched', () => {
    const warn: Edge = { node: 'node-a', type: 'warn', message: 'edge map full' };
    expect(new Enricher(fixtureState()).enrich({ ...warn })).toEqual(warn);
  });
});

describe('Enricher, remote side', () => {
  const { enrich } = setup();

  it('matches a service cluster IP of either family', () => {
    for (const ip of ['10.96.12.34', 'fd00:10:96::1234']) {
      expect(edgeToJSON(enrich({ ip, port: 80 }))).toMatchObject({
        remoteKind: 'svc',
        remoteServiceNamespace: 'demo',
        remoteServiceName: 'server',
        remoteServiceLabelSelector: { app: 'server' },
      });
    }
  });

  it('tells services sharing a load-balancer IP apart by port, and matches external IPs', () => {
    expect(enrich({ ip: '192.0.2.10', port: 443 }).remoteServiceName).toBe('web');
    expect(enrich({ ip: '192.0.2.10', proto: 'udp', port: 53 }).remoteServiceName).toBe('dns');
    expect(enrich({ ip: '198.51.100.7', port: 443 }).remoteServiceName).toBe('web');
  });

  it('matches a pod IP of either family, rewriting IPv6 text in canonical form', () => {
    const e = enrich({ ip: 'FD00:10:244:1:0:0:0:9', port: 8080 });
    expect(edgeToJSON(e)).toMatchObject({
      ip: 'fd00:10:244:1::9',
      remoteKind: 'pod',
      remotePodNamespace: 'demo',
      remotePodName: 'server-0',
      remotePodLabels: { app: 'server', tier: 'backend' },
    });
    expect(edgeKey(e)).toBe('demo/client-7d4b9c-x2k4p/OUTGOING/tcp/fd00:10:244:1::9/8080');
    const host = enrich({ pod: 'server-0', pktType: 'HOST', ip: '10.244.1.5', port: 8080 });
    expect(host).toMatchObject({
      remotePodName: 'client-7d4b9c-x2k4p',
      podOwnerKind: 'StatefulSet',
    });
  });

  it('names a node address node/<name>; a hostNetwork pod behind it is no pod', () => {
    for (const ip of ['10.250.0.3', 'fd00:10:250::3', '203.0.113.10']) {
      expect(edgeToJSON(enrich({ ip, port: 10250 }))).toMatchObject({
        remoteKind: 'other',
        remoteOther: ip,
        remoteName: 'node/node-a',
      });
    }
  });

  it("names an address no pod holds in a node's pod range (the kubelet's probes) node/<name>", () => {
    const { state, enrich } = setup();
    // As kube-controller-manager sets it; with ptp or bridge the CNI gives the node x.x.x.1.
    state.apply('Node', 'MODIFIED', {
      metadata: { name: 'node-b', uid: '0a000000-0000-4000-8000-000000000002' },
      spec: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] },
      status: { addresses: [{ type: 'InternalIP', address: '10.250.0.4' }] },
    });
    for (const ip of ['10.244.2.1', 'fd00:10:244:2::1']) {
      // Inspektor Gadget's fields stay as they are: the name is netgraph's.
      expect(
        edgeToJSON(enrich({ pod: 'server-0', pktType: 'HOST', ip, port: 8080 })),
      ).toMatchObject({
        remoteKind: 'other',
        remoteOther: ip,
        remoteName: 'node/node-b',
      });
    }
    // A pod in the range is that pod (asked first); outside every range there is no name.
    expect(enrich({ ip: '10.244.2.9', port: 8080 })).toMatchObject({
      remoteKind: 'pod',
      remotePodName: 'server-0',
      remoteName: undefined,
    });
    expect(enrich({ ip: '10.244.3.1', port: 8080 }).remoteName).toBeUndefined();
    // The node's addresses still name it, and a deleted node names nothing.
    expect(enrich({ ip: '10.250.0.4', port: 10250 }).remoteName).toBe('node/node-b');
    state.apply('Node', 'DELETED', {
      metadata: { name: 'node-b' },
      spec: { podCIDR: '10.244.2.0/24' },
    });
    expect(enrich({ ip: '10.244.2.1', port: 8080 }).remoteName).toBeUndefined();
  });

  it('makes a finished pod IP other, and names other addresses from the reverse-DNS cache', () => {
    expect(enrich({ ip: '10.244.1.20', port: 5432 })).toMatchObject({
      remoteKind: 'other',
      remoteOther: '10.244.1.20',
      remoteName: undefined,
    });
    expect(enrich({ ip: '192.0.2.99', port: 443 })).toMatchObject({
      remoteName: 'api.example.net',
      remoteNameSource: 'ptr',
    });
  });

  it("keeps the name the pod asked DNS for over reverse DNS; a node's address stays the node", () => {
    const asked = { remoteName: 'api.example.com', remoteNameSource: 'dns' as const };
    expect(
      edgeToJSON(
        enrich({ ip: '192.0.2.99', port: 443, ...asked, remoteCanonicalName: 'lb.example' }),
      ),
    ).toMatchObject({
      remoteKind: 'other',
      remoteOther: '192.0.2.99',
      remoteName: 'api.example.com',
      remoteNameSource: 'dns',
      remoteCanonicalName: 'lb.example',
    });
    // A Service's virtual IP keeps the cluster name the pod looked up beside the Service.
    expect(
      enrich({ ip: '10.96.12.34', port: 80, remoteName: 'web.demo.svc', remoteNameSource: 'dns' }),
    ).toMatchObject({
      remoteKind: 'svc',
      remoteName: 'web.demo.svc',
      remoteNameSource: 'dns',
    });
    expect(
      enrich({ ip: '10.250.0.3', port: 10250, ...asked, remoteCanonicalName: 'lb.example' }),
    ).toMatchObject({
      remoteName: 'node/node-a',
      remoteNameSource: 'node',
      remoteCanonicalName: undefined,
    });
    // A name without the agent's source is not the agent's: decided here (none for this address).
    expect(enrich({ ip: '198.51.100.1', port: 443, remoteName: 'forged' })).toMatchObject({
      remoteName: undefined,
      remoteNameSource: undefined,
    });
  });

  it('charges a reused IP to the pod that held it at firstSeen', () => {
    const { state, clock, enrich } = setup();
    const debug = {
      metadata: { name: 'debug', namespace: 'demo', uid: '7c000000-0000-4000-8000-000000000001' },
      status: { phase: 'Running', podIPs: [{ ip: '10.244.1.6' }] },
    };
    state.apply('Pod', 'DELETED', debug);
    const deletedAt = clock.now;
    clock.now += 2_000;
    state.apply('Pod', 'ADDED', {
      metadata: { name: 'newcomer', namespace: 'demo', uid: 'new-uid' },
      status: { phase: 'Running', podIPs: [{ ip: '10.244.1.6' }] },
    });
    const seen = (ms: number) => new Date(deletedAt + ms).toISOString();
    expect(enrich({ ip: '10.244.1.6', firstSeen: seen(-3_000) }).remotePodName).toBe('debug');
    expect(enrich({ ip: '10.244.1.6', firstSeen: seen(3_000) }).remotePodName).toBe('newcomer');
    expect(enrich({ ip: '10.244.1.6' }).remotePodName).toBe('newcomer');
  });

  it('leaves nothing stale when an edge is enriched again', () => {
    const { enrich } = setup();
    const e = enrich({ ip: '10.244.2.9', port: 8080 });
    e.ip = '10.96.12.34';
    const again = new Enricher(fixtureState()).enrich(e);
    expect(again.remoteKind).toBe('svc');
    expect(edgeToJSON(again)).not.toHaveProperty('remotePodName');
  });
});
