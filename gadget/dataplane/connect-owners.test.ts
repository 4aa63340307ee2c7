import { describe, expect, it } from 'vitest';
import { decodeOwner } from './connect-owners.js';
import { addOwner, type EdgeIdentity } from './edge-decode.js';

describe('connection owners', () => {
  it('decodes an owners entry into the edge it belongs to', () => {
    const key = Buffer.alloc(44);
    key.writeUInt32LE(4026532000, 0);
    key[4] = 4;
    key[5] = 6;
    key.writeUInt16BE(40000, 6);
    key.writeUInt16BE(8080, 8);
    key.set([10, 0, 0, 1], 12);
    key.set([10, 0, 0, 2], 28);
    const value = Buffer.alloc(20);
    value.writeUInt32LE(4242, 0);
    value.write('curl\0garbage', 4, 'latin1');
    expect(decodeOwner(key, value)).toEqual({
      netns: 4026532000,
      edge: {
        pktType: 'OUTGOING',
        proto: 'tcp',
        family: 4,
        ip: Uint8Array.from([10, 0, 0, 2]),
        port: 8080,
      },
      edgeKey: 'OUTGOING/tcp/10.0.0.2/8080',
      pid: 4242,
      comm: 'curl',
    });
  });

  it('keeps pid and comm only while every connection agrees on them', () => {
    const id: EdgeIdentity = {
      pktType: 'OUTGOING',
      proto: 'tcp',
      ip: '10.0.0.2',
      port: 80,
      firstSeen: '',
    };
    addOwner(id, 1, 'curl');
    addOwner(id, 1, 'curl');
    expect(id.owner).toEqual({ pid: 1, comm: 'curl', connections: 2 });
    addOwner(id, 2, 'curl');
    expect(id.owner).toEqual({ pid: undefined, comm: 'curl', connections: 3 });
    addOwner(id, 1, 'wget');
    expect(id.owner).toEqual({ pid: undefined, comm: undefined, connections: 4 });
  });
});
