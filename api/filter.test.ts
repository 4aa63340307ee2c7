import { describe, expect, it } from 'vitest';
import { matchesFilter, type PodIdentity } from './filter.js';

const pod: PodIdentity = {
  namespace: 'demo',
  name: 'client',
  labels: { app: 'c', tier: 'web' },
  containers: ['main', 'sidecar'],
};

describe('matchesFilter', () => {
  it.each([
    [undefined, true],
    [{}, true],
    [{ namespace: 'demo' }, true],
    [{ namespace: 'other, demo' }, true],
    [{ namespace: 'other' }, false],
    [{ podname: 'client' }, true],
    [{ podname: 'server' }, false],
    [{ labels: { app: 'c' } }, true],
    [{ labels: { app: 'c', tier: 'db' } }, false],
    [{ labels: { missing: '' } }, false],
    [{ containerName: 'sidecar' }, true],
    [{ containerName: 'init' }, false],
    [
      { namespace: 'demo', podname: 'client', labels: { tier: 'web' }, containerName: 'main' },
      true,
    ],
  ])('%j -> %s', (filter, want) => {
    expect(matchesFilter(pod, filter)).toBe(want);
  });
});
