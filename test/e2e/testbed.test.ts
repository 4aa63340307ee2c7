// The test bed itself: real apiserver, simulated nodes and pods, real packets
// between pods and through kube-proxy's ClusterIP rules.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNode,
  addPod,
  delNode,
  gcPods,
  jsonLines,
  kubeConfig,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podExec,
  spawnInPod,
  uniqueName,
  waitFor,
} from './testbed.js';

interface ClientResult {
  event: string;
  ok?: boolean;
  sent?: number;
  received?: number;
  echo?: string;
  remote?: string;
  error?: string;
}

const ns = uniqueName('testbed');
const nodes = [uniqueName('tb-node-a'), uniqueName('tb-node-b')];
const port = 8080;
let server: PodInfo;
let client: PodInfo;
let echo: PodProcess;
let clusterIPs: string[] = [];

/** One TCP connection from the client pod; returns the tool's `done` line. */
async function tcpRequest(host: string, bytes = 100): Promise<ClientResult> {
  const r = await podExec(
    client,
    nodeTool('tcp-client', [
      '--host',
      host,
      '--port',
      String(port),
      '--bytes',
      String(bytes),
      '--timeout',
      '3000',
    ]),
  );
  const done = jsonLines<ClientResult>(r.stdout).find((e) => e.event === 'done');
  if (!done) throw new Error(`tcp-client printed no result (exit ${r.code}): ${r.stderr}`);
  return done;
}

describe('test bed', () => {
  beforeAll(async () => {
    const [a, b] = nodes as [string, string];
    await Promise.all([addNode(a), addNode(b)]);
    [server, client] = await Promise.all([
      addPod(`${ns}/echo-server`, { node: a, labels: { app: 'echo-server' } }),
      addPod(`${ns}/client`, { node: b, labels: { app: 'client' } }),
    ]);
    echo = spawnInPod(server, nodeTool('tcp-server', ['--port', String(port)]));
    await echo.waitForLine(/"event":"listening"/);

    const core = kubeConfig().makeApiClient(CoreV1Api);
    const svc = await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'echo' },
        spec: {
          selector: { app: 'echo-server' },
          ipFamilyPolicy: 'PreferDualStack',
          ports: [{ name: 'tcp', port, targetPort: port, protocol: 'TCP' }],
        },
      },
    });
    clusterIPs = svc.spec?.clusterIPs ?? [];
  });

  afterAll(async () => {
    await echo?.kill();
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    await gcPods();
    for (const n of nodes) await delNode(n).catch(() => {});
  });

  it('serves /readyz', async () => {
    expect(await kubectl(['get', '--raw', '/readyz'])).toBe('ok');
  });

  it('gives pods Running, Ready Pod objects bound to their nodes', async () => {
    const pod = JSON.parse(await kubectl(['get', 'pod', 'echo-server', '-n', ns, '-o', 'json']));
    expect(pod.spec.nodeName).toBe(nodes[0]);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.podIP).toBe(server.ip);
    const ready = pod.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready.status).toBe('True');
  });

  it('carries TCP from pod to pod by pod IP', async () => {
    const r = await tcpRequest(server.ip);
    expect(r).toMatchObject({ ok: true, sent: 100, received: 100, remote: server.ip });
    expect(r.echo).toBe('netgraph-test-bed-payload-012345');
  });

  it('carries TCP from pod to pod over IPv6 when the test bed is dual-stack', async (ctx) => {
    if (!server.ip6) ctx.skip();
    const r = await tcpRequest(server.ip6 as string);
    expect(r).toMatchObject({ ok: true, received: 100, remote: server.ip6 });
  });

  it('lists the server pod in the Service’s EndpointSlices', async () => {
    const out = await waitFor(
      async () => {
        const text = await kubectl(['get', 'endpointslices', '-n', ns]);
        return text.includes(server.ip) ? text : undefined;
      },
      { what: `an EndpointSlice in ${ns} with ${server.ip}` },
    );
    expect(out).toContain(server.ip);
  });

  it('carries TCP to the ClusterIP through kube-proxy', async () => {
    expect(clusterIPs.length).toBeGreaterThan(0);
    for (const ip of clusterIPs) {
      // kube-proxy programs the rules within a second or so of the EndpointSlice.
      const r = await waitFor(
        async () => {
          const res = await tcpRequest(ip, 64);
          return res.ok ? res : undefined;
        },
        { what: `an echo through ClusterIP ${ip}`, timeoutMs: 20_000, intervalMs: 500 },
      );
      expect(r).toMatchObject({ ok: true, sent: 64, received: 64, remote: ip });
    }
    // The server saw the connections, from the client pod's own address (no SNAT).
    const conns = jsonLines<{ event: string; remote: string }>(echo.lines.join('\n')).filter(
      (e) => e.event === 'conn',
    );
    expect(conns.map((c) => c.remote)).toContain(client.ip);
  });

  it('deletes the pods with their namespace', async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    await waitFor(
      async () =>
        (await kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).trim() === '' || undefined,
      { what: `the pods of ${ns} to go`, timeoutMs: 60_000 },
    );
    await waitFor(
      async () => {
        try {
          await kubectl(['get', 'namespace', ns]);
          return undefined;
        } catch (err) {
          return String(err).includes('NotFound') || undefined;
        }
      },
      { what: `namespace ${ns} to go`, timeoutMs: 60_000 },
    );
  });
});
