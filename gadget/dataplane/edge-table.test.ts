import { expect, it } from 'vitest';
import { renderTable } from './edge-table.js';

it('aligns columns: text left, numbers right', () => {
  const table = renderTable([
    {
      type: 'normal',
      pod: 'a',
      pktType: 'OUTGOING',
      proto: 'tcp',
      ip: '10.0.0.2',
      port: 80,
      connections: 12,
    },
    {
      type: 'normal',
      pod: 'bb',
      pktType: 'HOST',
      proto: 'udp',
      ip: 'fd00::1',
      port: 5353,
      connections: 1,
    },
  ]).split('\n');
  expect(table).toHaveLength(3);
  expect(table[0]).toMatch(/^POD {2}DIR {7}PROTO {2}REMOTE {4}PORT {2}CONNS {2}PKTS OUT/);
  expect(table[1]).toMatch(/^a {4}OUTGOING {2}tcp {4}10\.0\.0\.2 {4}80 {5}12/);
  expect(table[2]).toMatch(/^bb {3}HOST {6}udp {4}fd00::1 {3}5353 {6}1/);
});
