// The agent's lookup of a pod's network namespace by IP (netnsFinder): a namespace made
// right after a scan (as a pod's is, just before its Pod object) is found, not missed
// until the scan is 200 ms old; an IP no namespace holds is not.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsFinder } from '../../gadget/dataplane/netns.js';

const root = process.getuid?.() === 0;
const NAMES = ['ng-nsfind-1', 'ng-nsfind-2'];
const ip = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A namespace holding `addr` on an up veth (getifaddrs lists running links only). */
function makeNs(name: string, addr: string) {
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'add', 'nsf0', 'type', 'veth', 'peer', 'name', 'nsf1');
  ip('-n', name, 'addr', 'add', `${addr}/32`, 'dev', 'nsf0');
  ip('-n', name, 'link', 'set', 'nsf0', 'up');
  ip('-n', name, 'link', 'set', 'nsf1', 'up');
}
const cleanup = () => {
  for (const n of NAMES) {
    try {
      ip('netns', 'del', n);
    } catch {}
  }
};

describe.skipIf(!root)('netnsFinder', () => {
  afterAll(cleanup);

  it('finds a namespace made just after its last scan', async () => {
    cleanup();
    makeNs('ng-nsfind-1', '10.251.7.1');
    const find = netnsFinder();
    expect((await find('10.251.7.1'))?.name).toBe('ng-nsfind-1');
    makeNs('ng-nsfind-2', '10.251.7.2');
    expect((await find('10.251.7.2'))?.name).toBe('ng-nsfind-2');
    expect(await find('10.251.7.3')).toBeUndefined();
  });
});
