// The graph page at cluster size, in a real browser (Debian's Chromium, WebGL through
// SwiftShader): a running trace of 5,000 pods in 50 namespaces and 20,000 edges, served
// by the operator's history store and graph API (test/synthetic-trace.ts). What a person
// checks: the page opens with each namespace one node and readable names, the heaviest
// edges drawn strong over the others faint, and says so; the search box
// finds a pod, opens its groups and shows it, centred; opening a namespace from the
// keyboard draws its pods. Screenshots land in test-results/ for a person to look at.
// No test bed: `npx vitest run --project browser` (and `npm test`) runs it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_BUDGET, FAINT_ALPHA, FAINT_WIDTH } from '../../web/scale.js';
import { launchChromium, type PageHooks } from '../browser.js';
import { serveTrace, TRACE } from '../synthetic-trace.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(repoRoot, 'test-results');
let server: Awaited<ReturnType<typeof serveTrace>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

type Hooks = { netgraph: PageHooks };
const shown = () => page.evaluate(() => (window as unknown as Hooks).netgraph.shown());
const ids = async () => (await shown()).entities.map((e) => e.id);
const url = () => new URL(page.url()).searchParams;

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `graph-page-scale-${name}.png`) });
  const painted = await page.evaluate(() => (window as unknown as Hooks).netgraph.painted());
  expect(painted, `graph drawn in ${name}`).toBeGreaterThan(100);
}

beforeAll(async () => {
  execFileSync('node', [join(repoRoot, 'web/build.mjs')]);
  mkdirSync(shots, { recursive: true });
  server = await serveTrace(5000, 20_000);
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the graph page at 5,000 entities', () => {
  it('opens with each namespace one node, its size and name readable', async () => {
    await page.goto(`${server.base}/?trace=${TRACE}&live=false`);
    await page.waitForFunction(() => (window as unknown as Hooks).netgraph.firstDrawMs() > 0);
    const g = await shown();
    expect(g.entities).toHaveLength(50);
    expect(g.entities.every((e) => e.kind === 'namespace' && e.id.startsWith('namespace/'))).toBe(
      true,
    );
    const all = await (await fetch(`${server.base}/api/v1/traces/${TRACE}/graph`)).json();
    expect(all.entities.length).toBeGreaterThan(4990);
    expect(await page.locator('#summary').textContent()).toContain(
      `50 nodes for ${all.entities.length.toLocaleString('en')} entities`,
    );
    // Most names are drawn at the default zoom (none over another: graph-view.ts's labels).
    const labels = await page.evaluate(() => (window as unknown as Hooks).netgraph.labelsShown());
    expect(labels.shown).toBeGreaterThanOrEqual(25);
    await expect
      .poll(() => page.locator('#namespace-list button[data-namespace="ns-3"]').textContent())
      .toBe('[+] ns-3 (100)');
    // Nothing selected: the chart shows the busiest entity, and says so.
    await expect
      .poll(() => page.locator('#series-title').textContent())
      .toBe(
        "ns-46/pod/pod-4196 (the window's busiest entity, until you select one): bytes per 10 s",
      );
    await screenshot('opening');
  });

  it('draws the heaviest edges strong over the others faint, and says so', async () => {
    const g = await shown();
    const lines = g.edges.filter((e) => e.source !== e.target);
    const inside = g.edges.length - lines.length;
    const n = (x: number) => x.toLocaleString('en');
    expect(lines.length).toBeGreaterThan(EDGE_BUDGET);
    expect(await page.locator('#summary').textContent()).toContain(
      `${n(g.edges.length)} edges: the ${EDGE_BUDGET} heaviest drawn strong, ${n(lines.length - EDGE_BUDGET)} lighter faint, ${inside} inside a node`,
    );
    // As drawn: the budget's worth in their own colour, every other line faint; none left out.
    const drawn = await page.evaluate(() => {
      const ng = (window as unknown as Hooks).netgraph;
      return ng
        .shown()
        .edges.filter((e) => e.source !== e.target)
        .map((e) => ({
          id: e.id,
          bytes: e.bytesTotal,
          color: ng.edgeColor(e.id) ?? '',
          size: ng.edgeSize(e.id),
        }));
    });
    const strong = drawn.filter((e) => e.color.startsWith('#'));
    const faint = drawn.filter((e) => e.color.endsWith(`,${FAINT_ALPHA})`));
    expect(strong).toHaveLength(EDGE_BUDGET);
    expect(faint).toHaveLength(lines.length - EDGE_BUDGET);
    expect(faint.every((e) => e.size === FAINT_WIDTH)).toBe(true);
    expect(strong.every((e) => (e.size ?? 0) > FAINT_WIDTH)).toBe(true);
    expect(Math.min(...strong.map((e) => e.bytes))).toBeGreaterThanOrEqual(
      Math.max(...faint.map((e) => e.bytes)),
    );
    const hooks = await page.evaluate(() => (window as unknown as Hooks).netgraph.strongEdges());
    expect(hooks.sort()).toEqual(strong.map((e) => e.id).sort());
    // The table lists the faint ones too: all 2,039, the first 500 by bytes.
    expect(await page.locator('#table-note').textContent()).toBe(
      `first 500 of ${g.edges.length} rows, by the sorted column`,
    );
    // The mouse on a namespace draws all its edges strong, and faint again when it leaves.
    const ns = 'namespace/ns-25';
    const its = faint.filter((e) => e.id.split('->').includes(ns));
    expect(its.length).toBeGreaterThan(10);
    const at = await page.evaluate(
      (id) => (window as unknown as Hooks).netgraph.nodePosition(id),
      ns,
    );
    if (!at) throw new Error(`${ns} is not drawn`);
    const colors = (list: { id: string }[]) =>
      page.evaluate(
        (xs) => xs.map((id) => (window as unknown as Hooks).netgraph.edgeColor(id) ?? ''),
        list.map((e) => e.id),
      );
    await page.mouse.move(at.x, at.y);
    await expect.poll(async () => (await colors(its)).every((c) => c.startsWith('#'))).toBe(true);
    await page.screenshot({ path: join(shots, 'graph-page-scale-hover.png') });
    // Half way to the row above: on no node (nor edge: the hover card would light that one).
    await page.mouse.move(at.x + 30, at.y - 50);
    await expect
      .poll(async () => (await colors(its)).every((c) => c.endsWith(`,${FAINT_ALPHA})`)))
      .toBe(true);
  });

  it('finds a pod by part of its name: its groups opened, the pod shown, centred, its edges listed', async () => {
    await page.locator('#find').fill('pod-4196');
    await expect
      .poll(() => page.locator('#find-results button').first().getAttribute('data-entity'))
      .toBe('ns-46/pod/pod-4196');
    await page.locator('#find').press('Enter');
    await expect.poll(() => url().get('entity')).toBe('ns-46/pod/pod-4196');
    expect(url().get('expanded')?.split(',')).toContain('ns-46');
    const now = await ids();
    expect(now).toContain('ns-46/pod/pod-4196');
    // Its namespace's other pods are drawn; the other namespaces stay one node each.
    expect(now.filter((id) => id.startsWith('ns-46/pod/'))).toHaveLength(100);
    expect(now).toContain('namespace/ns-3');
    const at = await page.evaluate(() =>
      (window as unknown as Hooks).netgraph.nodePosition('ns-46/pod/pod-4196'),
    );
    const box = await page.locator('#graph').boundingBox();
    expect(at && box).toBeTruthy();
    if (at && box) {
      expect(Math.abs(at.x - (box.x + box.width / 2))).toBeLessThan(40);
      expect(Math.abs(at.y - (box.y + box.height / 2))).toBeLessThan(40);
    }
    expect(await page.locator('#entity-title').textContent()).toBe('pod ns-46/pod/pod-4196');
    const rows = await page
      .locator('#table tr[data-edge]')
      .evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.edge ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.split('->').includes('ns-46/pod/pod-4196'))).toBe(true);
    await expect
      .poll(() => page.locator('#series-title').textContent())
      .toBe('ns-46/pod/pod-4196: bytes per 10 s');
    await screenshot('found');
  });

  it('opens a namespace from the keyboard: its pods drawn, the URL keeps it', async () => {
    await page.locator('#entity-close').click();
    const ns3 = page.locator('#namespace-list button[data-namespace="ns-3"]');
    await ns3.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await ids()).filter((id) => id.startsWith('ns-3/pod/')).length)
      .toBe(100);
    expect(await ids()).not.toContain('namespace/ns-3');
    expect(url().get('expanded')?.split(',')).toEqual(expect.arrayContaining(['ns-46', 'ns-3']));
    expect(
      await page
        .locator('#namespace-list button[data-namespace="ns-3"]')
        .getAttribute('aria-expanded'),
    ).toBe('true');
    // Its island is outlined and named, and closes it again.
    await expect
      .poll(() => page.locator('#islands .island-label').allTextContents())
      .toEqual(expect.arrayContaining(['[−] ns/ns-3']));
    await screenshot('expanded');
    // A shared URL opens the same view.
    const shared = page.url();
    await page.goto(shared);
    await page.waitForFunction(() => (window as unknown as Hooks).netgraph.firstDrawMs() > 0);
    expect((await ids()).filter((id) => id.startsWith('ns-3/pod/'))).toHaveLength(100);
    await page.locator('#islands .island-label', { hasText: 'ns/ns-3' }).click();
    await expect.poll(async () => (await ids()).includes('namespace/ns-3')).toBe(true);
    expect(url().get('expanded')?.split(',')).not.toContain('ns-3');
  });

  it("hides a namespace, shows a pod's neighbours only, filters by port", async () => {
    const row = page.locator('#namespace-list li', {
      has: page.locator('button[data-namespace="ns-1"]'),
    });
    await row.getByRole('button', { name: 'hide' }).click();
    await expect.poll(async () => (await ids()).includes('namespace/ns-1')).toBe(false);
    expect(url().get('hidden')).toBe('ns-1');
    expect(await page.locator('#hidden-list button').allTextContents()).toEqual(['show ns-1']);

    await page.locator('#find').fill('pod-4196');
    await page.locator('#find').press('Enter');
    await page.locator('#hops').fill('1');
    await page.locator('#hops').press('Tab');
    await expect.poll(() => url().get('hops')).toBe('1');
    const near = await shown();
    const pod = 'ns-46/pod/pod-4196';
    const touching = new Set(
      near.edges
        .filter((e) => e.source === pod || e.target === pod)
        .flatMap((e) => [e.source, e.target]),
    );
    // The pod, and only what one edge away from it.
    expect(near.entities.map((e) => e.id).sort()).toEqual([...touching].sort());
    expect(touching.size).toBeGreaterThan(3);
    await screenshot('focus');
    await page.locator('#hops').fill('0');
    await page.locator('#hops').press('Tab');
    await expect.poll(async () => (await shown()).entities.length).toBeGreaterThan(100);

    // Ports: the API filters; a bad one is a 400 naming it, shown on the page.
    await page.locator('#ports').fill('9999');
    await page.locator('#ports').press('Enter');
    await page.locator('#ports').dispatchEvent('change');
    await expect.poll(async () => (await shown()).edges.length).toBe(0);
    await page.locator('#ports').fill('http');
    await page.locator('#ports').dispatchEvent('change');
    await expect
      .poll(() => page.locator('#error').textContent())
      .toBe('400: ports: "http" is not a port (1-65535)');
    await page.locator('#ports').fill('8080');
    await page.locator('#ports').dispatchEvent('change');
    await expect.poll(async () => (await shown()).edges.length).toBeGreaterThan(1000);
    expect(await page.locator('#error').isHidden()).toBe(true);
  });

  it('finds an owner: drawn as one node in its opened namespace', async () => {
    await page.locator('#find').fill('ns-7/deployment/app-3');
    await page.locator('#find').press('Enter');
    await expect.poll(() => url().get('entity')).toBe('ns-7/deployment/app-3');
    const owner = (await shown()).entities.find((e) => e.id === 'ns-7/deployment/app-3');
    expect(owner?.kind).toBe('owner');
    expect(await page.locator('#entity-title').textContent()).toBe(
      'owner [+] deployment/app-3 (10)',
    );
    await screenshot('owner');
  });
});
