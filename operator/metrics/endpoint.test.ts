import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { MetricsEndpoint } from './endpoint.js';
import { parseMetricsFlags } from './flags.js';

/** An endpoint holding `edges` label sets of long pod names: ~1 KB a sample line. */
function endpoint(edges: number) {
  const m = new MetricsEndpoint({
    ...parseMetricsFlags({ 'metrics-labels': 'pod', 'metrics-max-series': '10000000' }),
    remoteOwner: () => undefined,
    liveWorkloads: () => new Set(),
    agents: () => 1,
  });
  for (const o of m.observers) o.started?.('gadget/t', {}, { groupBy: 'pod', ips: [] });
  for (let i = 0; i < edges; i++) {
    const e: Edge = {
      type: 'normal',
      namespace: 'demo',
      pod: `client-${i}-${'p'.repeat(200)}`,
      podOwner: 'client',
      podOwnerKind: 'Deployment',
      podIP: '10.244.0.5',
      pktType: 'OUTGOING',
      proto: 'tcp',
      ip: '10.244.1.9',
      port: 8080,
      remoteKind: 'pod',
      remotePodNamespace: 'demo',
      remotePodName: `server-${i}-${'q'.repeat(200)}`,
      connections: i,
    };
    for (const o of m.observers) o.edge('gadget/t', 'node-a', e);
  }
  return m;
}

/** Serves the endpoint's handler and keeps each call's promise (settled when it is done). */
async function serve(m: MetricsEndpoint) {
  const calls: Promise<void>[] = [];
  const server = createServer((req, res) => {
    calls.push(Promise.resolve(m.handler(req, res, new URL('http://x/metrics'))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, calls };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const response = (url: string) => new Promise<IncomingMessage>((resolve) => get(url, resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The graph's part of an exposition: prom-client's process figures change between scrapes. */
const graphPart = (text: string) =>
  text.slice(0, text.search(/^# HELP (?!netgraph_edge_|network_connections_)/m));

describe('MetricsEndpoint handler', () => {
  it('gives a reader slower than the server the same text as a fast one', async () => {
    const m = endpoint(5000);
    const { url } = await serve(m);
    const fast = await (await fetch(url)).text();
    const res = await response(url);
    const chunks: Buffer[] = [];
    for await (const chunk of res) {
      chunks.push(chunk as Buffer);
      // Reading a chunk at a time, with pauses: the server waits for the reader.
      if (chunks.length % 50 === 0) await sleep(5);
    }
    const slow = Buffer.concat(chunks).toString();
    expect(fast.length).toBeGreaterThan(20 * 2 ** 20);
    expect(graphPart(slow)).toBe(graphPart(fast));
    expect(slow).toMatch(/^netgraph_operator_agents 1$/m);
    m.stop();
  });

  it('stops writing when the reader goes away mid-scrape', async () => {
    const m = endpoint(5000);
    const { url, calls } = await serve(m);
    const res = await response(url);
    let read = 0;
    res.on('data', (c: Buffer) => {
      read += c.length;
    });
    // Sent as it is written: the first bytes come long before the last are written.
    while (read === 0) await sleep(1);
    res.pause();
    await sleep(50);
    res.destroy();
    // The handler waiting for the reader to catch up ends when it is gone.
    expect(await Promise.race([calls[0]?.then(() => 'done'), sleep(5000).then(() => 'hung')])).toBe(
      'done',
    );
    expect(read).toBeLessThan(20 * 2 ** 20);
    m.stop();
  });
});
