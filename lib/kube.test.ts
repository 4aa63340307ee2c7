import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Kube, KubeConfig, KubeError } from './kube.js';

// A plain-HTTP stand-in for the apiserver's watch endpoint: `answer` decides each request.
async function apiserver(answer: (res: http.ServerResponse) => void) {
  const server = http.createServer((_req, res) => answer(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        // client-node refuses plain HTTP unless told to skip TLS checks
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kube: new Kube(kc), close: () => server.close() };
}

describe('Kube.watch', () => {
  afterEach(() => vi.useRealTimers());

  it('ends as the server would (resolves) when the stream stays quiet past client-node’s idle timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { kube, close } = await apiserver((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      // then nothing, connection open
    });
    const events: string[] = [];
    const ended = kube.watch<{ metadata: { name: string } }>(
      '/api/v1/pods',
      {},
      (type, obj) => events.push(`${type} ${obj.metadata.name}`),
      new AbortController().signal,
    );
    await vi.waitFor(() => expect(events).toEqual(['ADDED a']), { timeout: 5000 });
    await vi.advanceTimersByTimeAsync(31_000);
    await expect(ended).resolves.toBeUndefined();
    close();
  });

  it('rejects with a KubeError carrying the HTTP status the watch was refused with', async () => {
    const { kube, close } = await apiserver((res) => {
      res.writeHead(410);
      res.end();
    });
    const ended = kube.watch('/api/v1/pods', {}, () => {}, new AbortController().signal);
    await expect(ended).rejects.toSatisfy((e) => e instanceof KubeError && e.status === 410);
    close();
  });
});
