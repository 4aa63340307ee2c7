import { describe, expect, it } from 'vitest';
import { chooseSandbox, type NetnsRef } from './pod-sandbox.js';

const ns = (name: string, inode: number): NetnsRef => ({ name, inode, path: `/x/${name}` });
const sandbox = ns('pid:100', 1);
const attacker = ns('evil', 2);
const IPS = ['10.244.0.5'];

describe('chooseSandbox', () => {
  it('attaches to the sandbox that holds the pod address', () => {
    expect(chooseSandbox('demo/client', IPS, { sandboxes: [sandbox], holders: [sandbox] })).toEqual(
      { ok: true, netns: sandbox },
    );
  });

  it('refuses a pod whose address another namespace holds too, naming both', () => {
    const c = chooseSandbox('demo/client', IPS, {
      sandboxes: [sandbox],
      holders: [attacker, sandbox],
    });
    expect(c).toMatchObject({ ok: false, warning: true });
    expect(!c.ok && c.error).toBe(
      'pod demo/client not traced: its address 10.244.0.5 is held by network namespace evil, which is not its sandbox (pid:100)',
    );
  });

  it('never attaches to a namespace that only holds the address', () => {
    expect(chooseSandbox('demo/client', IPS, { sandboxes: [], holders: [attacker] })).toEqual({
      ok: false,
      error:
        'no sandbox of pod demo/client on this node: no process in a cgroup of the pod and none the container runtime knows; evil holds its address, but nothing ties it to the pod',
    });
  });

  it('says why when no sandbox is found, with the runtime error', () => {
    expect(chooseSandbox('demo/a', IPS, { sandboxes: [], holders: [] })).toEqual({
      ok: false,
      error:
        'no sandbox of pod demo/a on this node: no process in a cgroup of the pod and none the container runtime knows',
    });
    const c = chooseSandbox('demo/a', IPS, { sandboxes: [], holders: [], runtimeError: 'down' });
    expect(!c.ok && c.error).toContain('the container runtime could not be asked (down)');
  });

  it('a sandbox without the address is an error; two of the pod own namespaces holding it, a warning', () => {
    expect(chooseSandbox('demo/a', IPS, { sandboxes: [sandbox], holders: [] })).toMatchObject({
      ok: false,
      error:
        'the sandbox of pod demo/a (network namespace pid:100) does not hold its address 10.244.0.5',
    });
    const other = ns('pid:200', 3);
    expect(
      chooseSandbox('demo/a', IPS, { sandboxes: [sandbox, other], holders: [sandbox, other] }),
    ).toMatchObject({ ok: false, warning: true });
    expect(chooseSandbox('demo/a', IPS, { sandboxes: [sandbox, other], holders: [other] })).toEqual(
      { ok: true, netns: other },
    );
  });
});
