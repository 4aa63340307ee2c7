import { describe, expect, it } from 'vitest';
import { hostAllowList } from './host-allow-list.js';

describe('hostAllowList', () => {
  const allowed = hostAllowList(['netgraph-operator.netgraph.svc']);
  it.each([
    ['127.0.0.1:9090', true],
    ['[::1]:9090', true],
    ['10.96.0.12', true],
    ['localhost:9090', true],
    ['LOCALHOST', true],
    ['netgraph-operator.netgraph.svc:9090', true],
    ['netgraph-operator.netgraph.svc.', true],
    ['attacker.example:9090', false],
    ['localhost.attacker.example', false],
    ['', false],
    ['[nonsense]', false],
  ])('%s -> %s', (host, ok) => {
    expect(allowed(host)).toBe(ok);
  });
});
