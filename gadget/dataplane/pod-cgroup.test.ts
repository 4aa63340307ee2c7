import { describe, expect, it } from 'vitest';
import { podUidOfCgroup } from './pod-cgroup.js';

const UID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const UNDERSCORED = UID.replaceAll('-', '_');

describe('podUidOfCgroup', () => {
  it('reads the pod UID of the cgroupfs and systemd layouts, v1 and v2', () => {
    for (const text of [
      `0::/kubepods/besteffort/pod${UID}/0123abcd`,
      `0::/kubepods/pod${UID}/0123abcd`,
      `12:pids:/kubepods/burstable/pod${UID}/0123abcd\n0::/`,
      `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UNDERSCORED}.slice/cri-containerd-0123.scope`,
      `0::/kubepods.slice/kubepods-pod${UNDERSCORED}.slice/crio-0123.scope`,
      // hack/testbed's simulated pods: the same layout under a root of its own.
      `0::/netgraph-testbed/kubepods/pod${UID}`,
      // Seen from inside the agent's cgroup namespace.
      `0::/../../besteffort/pod${UID}/0123abcd`,
    ])
      expect(podUidOfCgroup(text), text).toBe(UID);
  });

  it('finds none outside the kubelet layout', () => {
    for (const text of [
      '0::/',
      '0::/system.slice/containerd.service',
      '4:memory:/k8s.io/0123abcd\n0::/',
      `0::/user.slice/user-1000.slice/pod${UID}`,
      `0::/kubepods/besteffort/pod${UID.slice(1)}/0123`,
    ])
      expect(podUidOfCgroup(text), text).toBeUndefined();
  });

  it('takes the pod a container lives in, not a cgroup it made inside its own', () => {
    const other = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    expect(podUidOfCgroup(`0::/kubepods/besteffort/pod${UID}/ctr/besteffort/pod${other}`)).toBe(
      UID,
    );
  });
});
