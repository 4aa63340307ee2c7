import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { adoptName } from './adopt-name.js';

const kept = (extra: Partial<Edge> = {}): Edge => ({
  type: 'normal',
  namespace: 'demo',
  pod: 'client',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '203.0.113.7',
  port: 443,
  remoteKind: 'other',
  remoteOther: '203.0.113.7',
  connections: 1,
  ...extra,
});

const named: Edge = {
  ...kept(),
  remoteKind: undefined,
  remoteOther: undefined,
  connections: 2,
  remoteName: 'api.example.com',
  remoteNameSource: 'dns',
  remoteCanonicalName: 'lb.example.net',
};

describe('adoptName', () => {
  it('names an unnamed edge from a later DNS name, leaving the rest of it alone', () => {
    const e = kept();
    expect(adoptName(e, named)).toBe(true);
    expect(e).toEqual({
      ...kept(),
      remoteName: 'api.example.com',
      remoteNameSource: 'dns',
      remoteCanonicalName: 'lb.example.net',
    });
  });

  it('replaces a PTR name, canonical name and all', () => {
    const e = kept({ remoteName: 'host-7.cloud.example', remoteNameSource: 'ptr' });
    expect(adoptName(e, { ...named, remoteCanonicalName: undefined })).toBe(true);
    expect(e).toMatchObject({ remoteName: 'api.example.com', remoteNameSource: 'dns' });
    expect(e.remoteCanonicalName).toBeUndefined();
  });

  it('keeps a DNS name it has and a node name', () => {
    const dns = kept({ remoteName: 'first.example.com', remoteNameSource: 'dns' });
    const node = kept({ remoteName: 'node/n1', remoteNameSource: 'node' });
    expect(adoptName(dns, named)).toBe(false);
    expect(adoptName(node, named)).toBe(false);
    expect(dns.remoteName).toBe('first.example.com');
    expect(node.remoteName).toBe('node/n1');
  });

  it('takes nothing from an update without a DNS name', () => {
    const e = kept();
    expect(adoptName(e, { ...named, remoteNameSource: undefined })).toBe(false);
    expect(adoptName(e, { ...named, remoteNameSource: 'node', remoteName: 'node/n1' })).toBe(false);
    expect(adoptName(e, { ...named, remoteName: '' })).toBe(false);
    expect(e.remoteName).toBeUndefined();
  });
});
