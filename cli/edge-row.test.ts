import { describe, expect, it } from 'vitest';
import type { Edge } from '../api/edge.js';
import { EDGE_HEADER, edgeHeader, edgeRow } from './edge-row.js';

const client: Edge = {
  type: 'normal',
  node: 'worker0',
  namespace: 'demo',
  pod: 'client-7d9f',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.96.12.34',
  port: 80,
  remoteKind: 'svc',
  remoteServiceNamespace: 'demo',
  remoteServiceName: 'server',
  connections: 3,
  bytesSent: 1040,
  bytesReceived: 3111,
  firstSeen: '2026-12-07T07:48:00.123Z',
  pid: 4242,
  comm: 'curl',
};

const cells = (line: string) => line.split(/ {3,}/);

describe("observe's table", () => {
  it('prints the requester left and the responder right, bytes from the requester', () => {
    expect(cells(edgeRow(client))).toEqual([
      '07:48:00.123',
      'worker0',
      'demo/pod/client-7d9f',
      'demo/service/server',
      'tcp/80',
      '3',
      '1KiB/3KiB',
      'curl[4242]',
    ]);
    // The server's side of the same traffic: it accepted, so the peer is the requester.
    const server: Edge = {
      type: 'normal',
      node: 'worker1',
      namespace: 'demo',
      pod: 'server-0',
      pktType: 'HOST',
      proto: 'tcp',
      ip: '10.244.0.5',
      port: 8080,
      remoteKind: 'pod',
      remotePodNamespace: 'demo',
      remotePodName: 'client-7d9f',
      connections: 3,
      bytesSent: 3111,
      bytesReceived: 1040,
    };
    expect(cells(edgeRow(server))).toEqual([
      '-',
      'worker1',
      'demo/pod/client-7d9f',
      'demo/pod/server-0',
      'tcp/8080',
      '3',
      '1KiB/3KiB',
    ]);
  });

  it('names an outside peer by its node or DNS name and address, else the address', () => {
    const other = (e: Partial<Edge>) =>
      cells(edgeRow({ ...client, remoteKind: 'other', remoteServiceName: undefined, ...e }))[3];
    expect(other({ ip: '10.244.192.1', remoteName: 'node/worker0' })).toBe(
      'node/worker0 (10.244.192.1)',
    );
    expect(other({ ip: '203.0.113.9', proto: 'udp' })).toBe('203.0.113.9');
  });

  it('lines the header up with the rows', () => {
    const header = edgeHeader();
    const line = edgeRow(client);
    expect(cells(header)).toEqual(EDGE_HEADER);
    for (const h of ['NODE', 'SOURCE', 'DESTINATION', 'PORT'])
      expect(line.indexOf(cells(line)[EDGE_HEADER.indexOf(h)] ?? '')).toBe(header.indexOf(h));
  });
});
