// A real pod's sandbox, as the agent finds it on a real node (a kubelet and containerd
// 1.6 on the test bed): the container runtime answers over its CRI socket with the
// pod's UID and its sandbox's process, whose namespace holds the pod's IP. The test
// bed's kubelet makes no pod cgroups (cgroupsPerQOS: false), so without the runtime no
// sandbox is found: the reason for --runtime-endpoint (gadget.runtimeSocket).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSandbox } from '../../gadget/agent/pod-sandbox.js';
import { CriSandboxes } from '../../gadget/dataplane/cri.js';
import { podNetnsFinder } from '../../gadget/dataplane/pod-netns.js';
import { addRealNode, kubectl, testbed, testbedDir } from './testbed.js';

const NODE = 'cri-node';
const NS = 'cri-test';
let cri: CriSandboxes;
let pod: { uid: string; ip: string };

beforeAll(async () => {
  await addRealNode(NODE);
  cri = new CriSandboxes(`${testbedDir()}/kubelets/${NODE}/containerd.sock`);
  await kubectl(['create', 'namespace', NS]);
  // The pause image is the one a real node has (no registry here).
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sleeper', namespace: NS },
      spec: {
        nodeName: NODE,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'main', image: 'localhost/pause:testbed', imagePullPolicy: 'Never' }],
      },
    }),
  });
  await kubectl(['wait', '-n', NS, '--for=condition=Ready', 'pod/sleeper', '--timeout=90s'], {
    timeoutMs: 100_000,
  });
  const p = JSON.parse(await kubectl(['get', 'pod', '-n', NS, 'sleeper', '-o', 'json'])) as {
    metadata: { uid: string };
    status: { podIP: string };
  };
  pod = { uid: p.metadata.uid, ip: p.status.podIP };
}, 300_000);

afterAll(async () => {
  cri?.close();
  // While the kubelet runs, so the pod's deletion is confirmed.
  await kubectl(['delete', 'namespace', NS, '--timeout=60s'], { timeoutMs: 70_000 }).catch(
    () => {},
  );
  await testbed(['node', 'del', NODE]).catch(() => {});
}, 120_000);

describe('a real pod, found by its sandbox', () => {
  it("containerd's CRI names the pod's sandbox, whose namespace holds the pod's IP", async () => {
    const sandboxes = await cri.list();
    const mine = sandboxes.filter((s) => s.uid === pod.uid);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.path).toMatch(/^\/proc\/\d+\/ns\/net$/);
    const found = await podNetnsFinder(cri)({ uid: pod.uid, ips: [pod.ip] });
    expect(found.sandboxes).toHaveLength(1);
    expect(found.holders.map((n) => n.inode)).toEqual(found.sandboxes.map((n) => n.inode));
    expect(chooseSandbox(`${NS}/sleeper`, [pod.ip], found)).toMatchObject({
      ok: true,
      netns: { inode: found.sandboxes[0]?.inode },
    });
  });

  it('without the runtime no sandbox is found: this kubelet makes no pod cgroups', async () => {
    const found = await podNetnsFinder()({ uid: pod.uid, ips: [pod.ip] });
    expect(found.sandboxes).toEqual([]);
    expect(found.holders).toHaveLength(1);
    const choice = chooseSandbox(`${NS}/sleeper`, [pod.ip], found);
    expect(choice).toMatchObject({ ok: false });
    expect(!choice.ok && choice.error).toMatch(
      /^no sandbox of pod cri-test\/sleeper on this node: .* holds its address, but nothing ties it to the pod$/,
    );
  });

  it("a socket that is not the runtime's is an error the agent reports", async () => {
    const none = new CriSandboxes(`${testbedDir()}/no-such.sock`);
    try {
      await expect(none.list()).rejects.toThrow(/^CRI .*no-such\.sock: /);
      const found = await podNetnsFinder(none)({ uid: pod.uid, ips: [pod.ip] });
      expect(found.runtimeError).toMatch(/no-such\.sock/);
    } finally {
      none.close();
      await sleep(0);
    }
  });
});
