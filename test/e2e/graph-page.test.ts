// The graph page in a real browser (Debian's Chromium, WebGL through SwiftShader) on
// the test bed, with the seed Trace's spec (in its pods' namespace, on its own node, so
// other test files' leftovers cannot meet it) and real traffic client -> Service -> server.
// The page is opened as the README says: `kubectl netgraph ui` on 127.0.0.1, carrying the
// test bed admin's kubeconfig (a client certificate) to the operator's HTTPS port.
// What a person would check: the three entities and one edge each way, the hover
// card's bytes equal to the log stream's totals, the table's rows, grouping by
// namespace, `ips`, a new connection appearing live, a bad query's 400. Screenshots
// land in test-results/ (gitignored) for a person to look at.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type PageHooks } from '../browser.js';
import type { Proc } from './netgraph.js';
import { type Netgraph, prepareTestbed, startNetgraph } from './on-testbed.js';
import { OperatorPort } from './operator-port.js';
import {
  addPod,
  delNode,
  kubeconfigPath,
  kubectl,
  nodeTool,
  type PodInfo,
  type PodProcess,
  podRun,
  repoRoot,
  spawnInPod,
  waitFor,
} from './testbed.js';
import { operate } from './traces.js';

const NODE = 'graph-page-node';
// The Trace lives with its pods: only a trusted namespace's Trace may trace another.
const APP = 'graph-demo';
const NS = APP;
const TRACE = `${NS}/network-graph`;
const shots = join(repoRoot, 'test-results');
const seed = readFileSync(join(repoRoot, 'test/fixtures/traces/seed-network-graph.yaml'), 'utf8')
  .replace('namespace: gadget', `namespace: ${NS}`)
  .replace('node: albantyphoon-worker000003', `node: ${NODE}`)
  .replace('namespace: demo', `namespace: ${APP}`);

let operator: Proc;
let net: Netgraph;
const servers: PodProcess[] = [];
let client: PodInfo;
let server: PodInfo;
let clusterIP: string;
let base: string;
let ui: ChildProcess | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

const pod = (name: string) => `${APP}/pod/${name}`;
const service = `${APP}/service/server`;
const tcp = (host: string, port: number, bytes: number) =>
  podRun(
    client,
    nodeTool('tcp-client', ['--host', host, '--port', String(port), '--bytes', String(bytes)]),
  );
const shown = () =>
  page.evaluate(() => (window as unknown as { netgraph: PageHooks }).netgraph.shown());
const edgeIds = async () => (await shown()).edges.map((e) => e.id).sort();

/** Waits until the page's graph satisfies `pred` (given the drawn graph's edge ids). */
async function waitEdges(
  pred: (ids: string[]) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ids = await edgeIds();
    if (pred(ids)) return ids;
    if (Date.now() > end)
      throw new Error(`page never showed ${what}; it shows ${JSON.stringify(ids)}`);
    await page.waitForTimeout(250);
  }
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `graph-page-${name}.png`) });
  // SwiftShader missing draws nothing, silently: the graph's own pixels must not be blank.
  const painted = await page.evaluate(() =>
    (window as unknown as { netgraph: PageHooks }).netgraph.painted(),
  );
  expect(painted, `graph drawn in ${name}`).toBeGreaterThan(100);
}

/** Sets a control as a person does and waits for the URL to carry it. */
async function control(id: string, value: string): Promise<void> {
  const el = page.locator(`#${id}`);
  if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
  else {
    await el.fill(value);
    await el.press('Enter');
    await el.dispatchEvent('change');
  }
}

beforeAll(async () => {
  await prepareTestbed({ namespaces: [APP], nodes: [NODE] });
  execFileSync('node', [join(repoRoot, 'web/build.mjs')]);
  mkdirSync(shots, { recursive: true });
  [client, server] = await Promise.all([
    addPod(`${APP}/client`, { node: NODE, labels: { app: 'client' } }),
    addPod(`${APP}/server`, { node: NODE, labels: { app: 'server' } }),
  ]);
  await kubectl(['create', 'service', 'clusterip', 'server', '-n', APP, '--tcp=80:8080']);
  clusterIP = (
    await kubectl(['get', 'svc', '-n', APP, 'server', '-o', 'jsonpath={.spec.clusterIP}'])
  ).trim();
  for (const port of ['8080', '9090']) {
    const s = spawnInPod(server, nodeTool('tcp-server', ['--port', port]));
    servers.push(s);
    await s.waitForLine(/listening/);
  }
  net = await startNetgraph({ nodes: [NODE] });
  ({ operator } = net);
  // The documented way in: `kubectl netgraph ui`, straight to the operator's port here (the
  // operator runs on this host, not in a pod), pinning the certificate it published.
  const port = await OperatorPort.of(operator);
  const caFile = join(mkdtempSync(join(tmpdir(), 'graph-page-')), 'ca.crt');
  writeFileSync(caFile, port.ca);
  ui = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin/kubectl-netgraph.js'),
      'ui',
      'network-graph',
      '-n',
      NS,
      '--operator',
      port.base,
      '--operator-ca',
      caFile,
    ],
    { env: { ...process.env, KUBECONFIG: kubeconfigPath() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let said = '';
  ui.stdout?.on('data', (d: Buffer) => {
    said += d.toString();
  });
  ui.stderr?.on('data', (d: Buffer) => {
    said += d.toString();
  });
  const url = await waitFor(async () => /^http:\/\/127\.0\.0\.1:\d+\//m.exec(said)?.[0], {
    timeoutMs: 30_000,
    what: `kubectl netgraph ui's URL (it said: ${said})`,
  });
  base = url.replace(/\/$/, '');

  await kubectl(['apply', '-f', '-'], { input: seed });
  await operate(NS, 'network-graph', 'start', (t) => t.status?.nodes?.[NODE]?.pods === 2);
  for (let i = 0; i < 3; i++) await tcp(clusterIP, 80, 1000);
  await operator.waitLine((l) => l.trace === TRACE && l.pod === 'client' && l.ip === clusterIP);
  await operator.waitLine(
    (l) => l.trace === TRACE && l.pod === 'server' && l.pktType === 'HOST' && l.ip === client.ip,
  );
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  ui?.kill('SIGINT');
  await kubectl(['delete', 'trace', '-n', NS, 'network-graph', '--timeout=20s']).catch(() => {});
  await Promise.all([net?.stop(), ...servers.map((s) => s.kill())]);
  await kubectl(['delete', 'namespace', APP, '--wait=false']).catch(() => {});
  await delNode(NODE).catch(() => {});
});

describe('the graph page', () => {
  it('shows client, Service and server with one edge each way, and the same rows in the table', async () => {
    await page.goto(`${base}/?trace=${TRACE}`);
    const ids = await waitEdges((x) => x.length >= 2, 'the two edges');
    expect(ids).toEqual([`${pod('client')}->${service}`, `${service}->${pod('server')}`]);
    const entities = (await shown()).entities.map((e) => [e.id, e.kind]).sort();
    expect(entities).toEqual([
      [pod('client'), 'pod'],
      [pod('server'), 'pod'],
      [service, 'service'],
    ]);
    const rows = await page
      .locator('#table tr[data-edge]')
      .evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.edge));
    expect([...rows].sort()).toEqual(ids);
    await screenshot('pods');

    // Selecting a row highlights its edge in the graph.
    await page.locator(`#table tr[data-edge="${ids[0]}"]`).click();
    await expect
      .poll(() => page.locator(`#table tr[data-edge="${ids[0]}"]`).getAttribute('class'))
      .toBe('selected');
    const color = await page.evaluate(
      (id) => (window as unknown as { netgraph: PageHooks }).netgraph.edgeColor(id),
      ids[0] as string,
    );
    expect(color).toBe('#111111');
  });

  it('lays requesters left of responders in the hierarchical layout', async () => {
    await control('layout', 'hierarchy');
    const x = (id: string) =>
      page.evaluate(
        (n) =>
          (window as unknown as { netgraph: PageHooks }).netgraph.nodePosition(n)?.x ?? Number.NaN,
        id,
      );
    await expect.poll(async () => (await x(pod('client'))) < (await x(service))).toBe(true);
    expect(await x(service)).toBeLessThan(await x(pod('server')));
    await screenshot('hierarchy');
    await control('layout', 'islands');
  });

  it('exports the view as JSON, Graphviz DOT and PNG', async () => {
    const save = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return readFileSync(await download.path());
    };
    const json = JSON.parse((await save('#export-json')).toString());
    expect(json.view.trace).toBe(TRACE);
    expect(json.edges.map((e: { id: string }) => e.id).sort()).toEqual(await edgeIds());
    const dot = (await save('#export-dot')).toString();
    expect(dot).toMatch(/^digraph netgraph \{/);
    expect(dot).toContain(`"${pod('client')}" -> "${service}" [label=`);
    const png = await save('#export-png');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2000);
  });

  it('shows a new connection without a reload', async () => {
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await tcp(server.ip, 9090, 500);
    await waitEdges(
      (x) => x.includes(`${pod('client')}->${pod('server')}`),
      'the new client -> server edge',
    );
    expect(
      await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
    ).toBe(true);
  });

  it("hovers an edge: its bytes are the log stream's totals", async () => {
    // Stopping the trace logs each edge's totals; the page keeps the stopped trace's last state.
    await operate(NS, 'network-graph', 'stop', (t) => t.status?.state === 'Stopped');
    const total = (pred: (l: Record<string, unknown>) => boolean) =>
      operator.waitLine((l) => l.msg === 'edge total' && l.trace === TRACE && pred(l));
    const toService = await total((l) => l.pod === 'client' && l.ip === clusterIP);
    const atServer = await total(
      (l) => l.pod === 'server' && l.pktType === 'HOST' && l.ip === client.ip && l.port === 8080,
    );
    await page.reload();
    await waitEdges((x) => x.length === 3, 'the stopped trace');

    const hover = async (id: string) => {
      await page.mouse.move(0, 0);
      const at = await page.evaluate(
        (e) => (window as unknown as { netgraph: PageHooks }).netgraph.edgeMiddle(e),
        id,
      );
      expect(at, `edge ${id} drawn`).toBeDefined();
      await page.mouse.move(at?.x ?? 0, at?.y ?? 0);
      await page
        .locator(`#hovercard[data-edge="${id}"]`)
        .waitFor({ state: 'visible', timeout: 5000 });
      const value = (f: string) =>
        page.locator(`#hovercard [data-field=${f}] span`).getAttribute('data-value').then(Number);
      return {
        total: await value('bytes_total'),
        sent: await value('bytes_sent'),
        recv: await value('bytes_recv'),
      };
    };
    expect(await hover(`${pod('client')}->${service}`)).toEqual({
      total: toService.bytesTotal,
      sent: toService.bytesSent,
      recv: toService.bytesReceived,
    });
    await screenshot('hover');
    // The server's side, turned to the requester's: what the client sent, the server received.
    expect(await hover(`${service}->${pod('server')}`)).toEqual({
      total: atServer.bytesTotal,
      sent: atServer.bytesReceived,
      recv: atServer.bytesSent,
    });
  });

  it('groups by namespace, filters by ips, and keeps both in the URL', async () => {
    await control('groupBy', 'namespace');
    await waitEdges((x) => x.length === 1 && x[0] === `${APP}->${APP}`, `${APP} -> ${APP} only`);
    expect((await shown()).entities.map((e) => e.id)).toEqual([APP]);
    await screenshot('namespace');
    expect(new URL(page.url()).searchParams.get('groupBy')).toBe('namespace');

    await control('groupBy', 'pod');
    await control('ips', clusterIP);
    await waitEdges((x) => x.length === 1, 'one edge');
    expect(await edgeIds()).toEqual([`${pod('client')}->${service}`]);
    // A shared URL opens the same view.
    const shared = page.url();
    expect(new URL(shared).searchParams.get('ips')).toBe(clusterIP);
    await page.goto(shared);
    await waitEdges((x) => x.length === 1, 'the shared view');
  });

  it('answers a bad query with a 400 naming the parameter, on the API and on the page', async () => {
    const res = await fetch(`${base}/api/v1/traces/${TRACE}/graph?groupBy=cluster`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ parameter: 'groupBy' });
    const ips = await fetch(`${base}/api/v1/traces/${TRACE}/graph?ips=not-an-ip`);
    expect(await ips.json()).toEqual({
      error: 'ips: "not-an-ip" is not an IP address',
      parameter: 'ips',
    });
    await page.goto(`${base}/?trace=${TRACE}&start=5m`);
    await expect.poll(() => page.locator('#error').textContent()).toContain('400: start:');
    const list = await (await fetch(`${base}/api/v1/traces`)).json();
    expect(list.traces).toContainEqual(
      expect.objectContaining({ trace: TRACE, state: 'Stopped', edges: 4 }),
    );
  });
});
