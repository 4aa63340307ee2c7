import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { edgeLabels, edgeNgraphLabels, seriesWorkloads } from './edge-labels.js';

const peer = { v4: 24, v6: 64 };
const none = { peer, optIn: new Set<never>() };

const toService: Edge = {
  type: 'normal',
  node: 'w1',
  namespace: 'demo',
  pod: 'client-7d9f-abcde',
  podOwner: 'client',
  podOwnerKind: 'Deployment',
  podIP: '10.244.0.5',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.96.12.34',
  port: 80,
  remoteKind: 'svc',
  remoteServiceNamespace: 'demo',
  remoteServiceName: 'server',
};

const fromPod: Edge = {
  type: 'normal',
  namespace: 'demo',
  pod: 'server-0',
  podOwner: 'server',
  podOwnerKind: 'StatefulSet',
  podIP: '10.244.1.7',
  pktType: 'HOST',
  proto: 'tcp',
  ip: '10.244.0.5',
  port: 8080,
  remoteKind: 'pod',
  remotePodNamespace: 'demo',
  remotePodName: 'client-7d9f-abcde',
};

const toWorld: Edge = {
  type: 'normal',
  namespace: 'demo',
  pod: 'lonely',
  podIP: '10.244.0.9',
  pktType: 'OUTGOING',
  proto: 'udp',
  ip: '198.51.100.23',
  port: 53,
  remoteKind: 'other',
  remoteOther: '198.51.100.23',
};

describe('edgeLabels', () => {
  it('labels an edge to a Service by workload, with no pod name or IP', () => {
    expect(edgeLabels('gadget/g', toService, undefined, none)).toEqual({
      trace: 'gadget/g',
      namespace: 'demo',
      workload: 'client',
      workload_kind: 'Deployment',
      pkt_type: 'OUTGOING',
      remote_kind: 'svc',
      remote_namespace: 'demo',
      remote_workload: 'server',
      proto: 'tcp',
      port: '80',
    });
  });

  it('names a remote pod by its owner, else by its own name', () => {
    const owner = { kind: 'Deployment', name: 'client' };
    expect(edgeLabels('t', fromPod, owner, none).remote_workload).toBe('client');
    expect(edgeLabels('t', fromPod, undefined, none).remote_workload).toBe('client-7d9f-abcde');
  });

  it('makes a pod without owner its own workload, kind Pod, and buckets the world', () => {
    const l = edgeLabels('t', toWorld, undefined, none);
    expect(l).toMatchObject({
      workload: 'lonely',
      workload_kind: 'Pod',
      remote_workload: '198.51.100.0/24',
    });
    expect(
      edgeLabels('t', { ...toWorld, remoteName: 'dns.example' }, undefined, none).remote_workload,
    ).toBe('dns.example');
    expect(
      edgeLabels('t', toWorld, undefined, { peer: { v4: 0, v6: 0 }, optIn: new Set() })
        .remote_workload,
    ).toBe('world');
  });

  it('adds pod names and IPs only when opted in', () => {
    const l = edgeLabels('t', fromPod, undefined, { peer, optIn: new Set(['pod', 'ip'] as const) });
    expect(l).toMatchObject({
      pod: 'server-0',
      remote_pod: 'client-7d9f-abcde',
      pod_ip: '10.244.1.7',
      remote_ip: '10.244.0.5',
    });
    expect(Object.keys(edgeLabels('t', fromPod, undefined, none))).not.toContain('pod');
  });
});

describe('edgeNgraphLabels', () => {
  it("puts the pod on the source side of an opened connection, as ngraph's output", () => {
    expect(edgeNgraphLabels(toService, peer)).toEqual({
      src_ip: '10.244.0.5',
      dest_ip: '10.96.12.34',
      peer_hostname: 'demo/server',
    });
  });
  it("puts the peer on the source side of an accepted one, as ngraph's input", () => {
    expect(edgeNgraphLabels(fromPod, peer)).toEqual({
      src_ip: '10.244.0.5',
      dest_ip: '10.244.1.7',
      peer_hostname: 'demo/client-7d9f-abcde',
    });
  });
  it('buckets peers outside the cluster', () => {
    expect(edgeNgraphLabels(toWorld, peer).dest_ip).toBe('198.51.100.0/24');
  });
});

describe('seriesWorkloads', () => {
  it('names the local workload and a remote pod workload', () => {
    expect(seriesWorkloads(fromPod, { kind: 'Deployment', name: 'client' })).toEqual([
      'demo/StatefulSet/server',
      'demo/Deployment/client',
    ]);
    expect(seriesWorkloads(toService, undefined)).toEqual(['demo/Deployment/client']);
  });
});
