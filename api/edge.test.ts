import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addCounters,
  EDGE_FIELDS,
  type Edge,
  edgeKey,
  edgeToJSON,
  eventsString,
  unique,
} from './edge.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/edges');
// The JSON names of the seed's Go struct (types.Event and eventtypes.Event), in order.
const SEED_FIELDS = [
  'node',
  'namespace',
  'pod',
  'container',
  'type',
  'message',
  'pktType',
  'proto',
  'ip',
  'port',
  'remoteKind',
  'podHostIP',
  'podIP',
  'podOwner',
  'podLabels',
  'remoteServiceNamespace',
  'remoteServiceName',
  'remoteServiceLabelSelector',
  'remotePodNamespace',
  'remotePodName',
  'remotePodLabels',
  'remoteOther',
  'debug',
];

const edge = (e: Partial<Edge>): Edge => ({ type: 'normal', ...e });

describe('edge JSON', () => {
  it('keeps the seed struct names first, in the seed order', () => {
    expect(EDGE_FIELDS.slice(0, SEED_FIELDS.length)).toEqual(SEED_FIELDS);
  });

  for (const file of readdirSync(fixtures)) {
    it(`round-trips ${file} byte for byte`, () => {
      const text = readFileSync(join(fixtures, file), 'utf8').trim();
      const parsed = JSON.parse(text) as Edge;
      expect(JSON.stringify(edgeToJSON(parsed))).toBe(text);
      for (const name of Object.keys(parsed)) expect(SEED_FIELDS).toContain(name);
    });
  }

  it('omits empty values as Go omitempty does, but always writes type', () => {
    const json = edgeToJSON(
      edge({ namespace: '', pod: 'p', port: 0, podLabels: {}, ip: '10.0.0.1' }),
    );
    expect(json).toEqual({ pod: 'p', type: 'normal', ip: '10.0.0.1' });
  });
});

describe('key, unique, eventsString', () => {
  const a = edge({
    namespace: 'demo',
    pod: 'c',
    pktType: 'OUTGOING',
    proto: 'tcp',
    ip: '10.96.0.10',
    port: 80,
  });

  it('builds namespace/pod/pktType/proto/ip/port', () => {
    expect(edgeKey(a)).toBe('demo/c/OUTGOING/tcp/10.96.0.10/80');
  });

  it('keeps the first event per key, in order', () => {
    const later = { ...a, message: 'later' };
    const b = { ...a, proto: 'udp' as const };
    const c = { ...a, pktType: 'HOST' as const, port: 8080 };
    expect(unique([a, b, later, c, b])).toEqual([a, b, c]);
    expect(unique([a, b, later, c])[0]?.message).toBeUndefined();
  });

  it('renders a JSON array of contract objects', () => {
    const s = eventsString([a, edge({ type: 'warn', message: 'dropped 3' })]);
    expect(JSON.parse(s)).toEqual([
      {
        namespace: 'demo',
        pod: 'c',
        type: 'normal',
        pktType: 'OUTGOING',
        proto: 'tcp',
        ip: '10.96.0.10',
        port: 80,
      },
      { type: 'warn', message: 'dropped 3' },
    ]);
    expect(eventsString([])).toBe('[]');
  });
});

describe('addCounters', () => {
  it('sums counters and widens the time span', () => {
    const a = edge({
      connections: 1,
      bytesSent: 10,
      bytesReceived: 5,
      firstSeen: '2026-01-01T00:00:02Z',
      lastSeen: '2026-01-01T00:00:03Z',
    });
    addCounters(a, {
      connections: 2,
      bytesSent: 1,
      packetsSent: 3,
      firstSeen: '2026-01-01T00:00:01Z',
      lastSeen: '2026-01-01T00:00:02Z',
    });
    expect(a).toMatchObject({
      connections: 3,
      bytesSent: 11,
      bytesReceived: 5,
      bytesTotal: 16,
      packetsSent: 3,
      packetsReceived: 0,
    });
    expect([a.firstSeen, a.lastSeen]).toEqual(['2026-01-01T00:00:01Z', '2026-01-01T00:00:03Z']);
  });
});
