// The graph page at cluster scale. Three parts:
// - draw: a synthetic trace of 5,000 entities (50 namespaces, owners of ~10 pods) and
//   20,000 edges fed into the operator's history store and served by its HTTP server and
//   graph API; headless Chromium (Debian's, SwiftShader WebGL) opens the page: time from
//   navigation to the first complete draw, the frame rate while the mouse pans the graph
//   for 3 s, and the time of the one redraw after the button is released. Side by side:
//   the page as it opens (grouped by namespace), everything drawn (grouping off), and,
//   with --before REV, both openings of the page of that git revision (built from `git
//   archive`; a page from before grouping draws everything in both). --rounds N opens
//   each page N times, in turn, and prints the medians, the first draw's range and how
//   many first draws took 2 s or more.
// - labels: graphs of 50 to 1,600 entities drawn whole; how many labels sigma can show
//   without overlap at the default zoom. groups.ts's THRESHOLD (100) is the first size
//   measured where fewer than half fit (35%; 68% at 50): a graph past it opens grouped.
// - memory: one hour of 10-second bins for 50,000 edges, every edge busy in every bin
//   (the worst case), in the history store; heap and RSS after GC, in a child process.
//
//   node --expose-gc --import tsx bench/graph-page.ts [--part draw|labels|memory] [--before REV]
//     [--rounds N]
//
// Targets: first draw < 2 s, panning >= 30 frames/s (both openings), heap and RSS added
// < 200 MB (exit code 1 if missed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BIN_MS } from '../operator/history/bin-log.js';
import { HistoryStore } from '../operator/history/history.js';
import { launchChromium, type PageHooks } from '../test/browser.js';
import { groupNames, SyntheticCluster, serveTrace } from '../test/synthetic-trace.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: { part: { type: 'string' }, before: { type: 'string' }, rounds: { type: 'string' } },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/graph-page.ts');

const cluster = new SyntheticCluster();

/** The page of git revision `rev`, built into a temporary directory. */
function buildPageOf(rev: string): { webRoot: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netgraph-page-'));
  execFileSync('sh', [
    '-c',
    `git -C "${root}" archive "${rev}" web api lib tsconfig.json | tar -x -C "${dir}"`,
  ]);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  execFileSync('node', [join(dir, 'web/build.mjs')]);
  return { webRoot: join(dir, 'dist/web'), remove: () => rmSync(dir, { recursive: true }) };
}

const hooks = 'window.netgraph';

async function draw(): Promise<Record<string, Record<string, number>>> {
  execFileSync('node', [join(root, 'web/build.mjs')]);
  const E = Number(process.env.E ?? 5000);
  const L = Number(process.env.L ?? 20_000);
  const now = await serveTrace(E, L);
  const before = values.before ? buildPageOf(values.before) : undefined;
  const old = before ? await serveTrace(E, L, before.webRoot) : undefined;
  // [row, URL, screenshot]
  const pages: [string, string, string][] = [
    ...(old
      ? ([
          [`before grouped (${values.before})`, `${old.base}/?`, 'before-grouped'],
          [
            `before everything (${values.before})`,
            `${old.base}/?grouping=false&`,
            'before-everything',
          ],
        ] as [string, string, string][])
      : []),
    ['grouped', `${now.base}/?`, 'grouped'],
    ['everything', `${now.base}/?grouping=false&`, 'everything'],
  ];
  const browser = await launchChromium();
  try {
    // Pages in turn, round after round: a change in the machine's load falls on all of them.
    const runs = new Map<string, Record<string, number>[]>();
    for (let round = 0; round < Number(values.rounds ?? 1); round++)
      for (const [name, url, shot] of pages)
        runs.set(name, [...(runs.get(name) ?? []), await open(browser, url, shot)]);
    const out: Record<string, Record<string, number>> = {};
    for (const [name, rs] of runs) {
      const keys = Object.keys(rs[0] ?? {});
      out[name] = {
        ...Object.fromEntries(keys.map((k) => [k, median(rs.map((r) => r[k] ?? 0))])),
        firstDrawMinMs: Math.min(...rs.map((r) => r.firstDrawMs ?? 0)),
        firstDrawMaxMs: Math.max(...rs.map((r) => r.firstDrawMs ?? 0)),
        firstDrawsOver2s: rs.filter((r) => (r.firstDrawMs ?? 0) >= 2000).length,
      };
    }
    return out;
  } finally {
    await browser.close();
    await now.close();
    await old?.close();
    before?.remove();
  }
}

/** Opens the page at `url` in a fresh tab and measures its first draw and panning. */
async function open(
  browser: Awaited<ReturnType<typeof launchChromium>>,
  url: string,
  name: string,
): Promise<Record<string, number>> {
  const page = await browser.context.newPage();
  page.on('pageerror', (err) => console.error(`${name}: page error: ${err.message}`));
  try {
    await page.goto(`${url}trace=bench/graph&live=false`);
    await page.waitForFunction(
      () => (window as unknown as { netgraph: PageHooks }).netgraph?.firstDrawMs() > 0,
      null,
      {
        timeout: 60_000,
      },
    );
    const firstDrawMs = await page.evaluate(() =>
      (window as unknown as { netgraph: PageHooks }).netgraph.firstDrawMs(),
    );
    // Where the time went: the API's answer received, the graph built and laid out.
    const marks: Record<string, number> = await page.evaluate(() =>
      Object.fromEntries(
        performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]),
      ),
    );
    const shown = await page.evaluate(() =>
      (window as unknown as { netgraph: PageHooks }).netgraph.shown(),
    );
    const painted = await page.evaluate(() =>
      (window as unknown as { netgraph: PageHooks }).netgraph.painted(),
    );
    await page.screenshot({
      path: fileURLToPath(new URL(`results/graph-page-${name}.png`, import.meta.url)),
    });
    // Panning as a person does: the mouse dragged across the graph for 3 s while the page
    // records its frame times; then the one redraw at the new position after release.
    // (A string, not a function: tsx would wrap named inner functions in a helper the page lacks.)
    await page.evaluate(`(() => {
      window.frames_ = [];
      const step = (t) => { window.frames_.push(t); if (!window.stopFrames_) requestAnimationFrame(step); };
      requestAnimationFrame(step);
    })()`);
    const box = await page.locator('#graph').boundingBox();
    // Where no node is (a press on a node would drag the node instead): of a grid of
    // points, the one furthest from every node.
    const nodes = (await page.evaluate(
      `${hooks}.shown().entities.map((e) => ${hooks}.nodePosition(e.id)).filter(Boolean)`,
    )) as { x: number; y: number }[];
    let cx = 0;
    let cy = 0;
    let far = -1;
    for (let gx = 0.1; gx < 1; gx += 0.05)
      for (let gy = 0.1; gy < 1; gy += 0.05) {
        const x = (box?.x ?? 0) + gx * (box?.width ?? 0);
        const y = (box?.y ?? 0) + gy * (box?.height ?? 0);
        const d = Math.min(...nodes.map((n) => Math.hypot(n.x - x, n.y - y)));
        if (d > far) [cx, cy, far] = [x, y, d];
      }
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < 3000; i++) {
      await page.mouse.move(cx + 150 * Math.sin(i / 20), cy + 80 * Math.cos(i / 25));
      await page.waitForTimeout(10);
    }
    const drawsBefore = await page.evaluate(() =>
      (window as unknown as { netgraph: PageHooks }).netgraph.draws(),
    );
    const released = Date.now();
    await page.mouse.up();
    await page.waitForFunction(
      (n) => (window as unknown as { netgraph: PageHooks }).netgraph.draws() > n,
      drawsBefore,
    );
    await page.evaluate(
      'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))',
    );
    const redrawMs = Date.now() - released;
    const frames: number[] = await page.evaluate('window.stopFrames_ = true; window.frames_');
    const gaps = frames
      .slice(1)
      .map((t, i) => t - (frames[i] ?? t))
      .sort((a, b) => a - b);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    return {
      entities: shown.entities.length,
      edges: shown.edges.length,
      paintedPixels: painted,
      fetchedMs: marks['netgraph:fetched'] ?? -1,
      builtMs: marks['netgraph:synced'] ?? -1,
      firstDrawMs: Math.round(firstDrawMs),
      panFps: Math.round(10_000 / mean) / 10,
      panFrameP95Ms: Math.round((gaps[Math.floor(gaps.length * 0.95)] ?? 0) * 10) / 10,
      redrawAfterPanMs: redrawMs,
    };
  } finally {
    await page.close();
  }
}

/** The share of labels drawn at the default zoom, everything drawn, by graph size. */
async function labels(): Promise<Record<string, number>> {
  execFileSync('node', [join(root, 'web/build.mjs')]);
  const browser = await launchChromium();
  const out: Record<string, number> = {};
  try {
    for (const n of [50, 100, 200, 300, 400, 800, 1600]) {
      const s = await serveTrace(n, 4 * n);
      const page = await browser.context.newPage();
      await page.goto(`${s.base}/?trace=bench/graph&live=false&grouping=false`);
      await page.waitForFunction(`${hooks}?.firstDrawMs() > 0`, null, { timeout: 60_000 });
      const l = (await page.evaluate(`${hooks}.labelsShown()`)) as { shown: number; of: number };
      out[`${n} entities`] = Math.round((100 * l.shown) / l.of) / 100;
      await page.close();
      await s.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

function memory(): Record<string, number> {
  const EDGES = 50_000;
  const BINS = 360;
  const clock = { now: 1_700_000_000_000 };
  const store = new HistoryStore({ groupNames, now: () => clock.now });
  const edges = cluster.edges(10_000, EDGES, 100);
  gc?.();
  const before = process.memoryUsage();
  store.started('bench/memory', {}, { groupBy: 'pod', ips: [] });
  // Every edge grows in every bin: a few to a few hundred kilobytes each way.
  for (let bin = 0; bin < BINS; bin++) {
    for (const e of edges) {
      e.connections = (e.connections ?? 0) + cluster.pick(3);
      e.bytesSent = (e.bytesSent ?? 0) + 1 + cluster.pick(200_000);
      e.bytesReceived = (e.bytesReceived ?? 0) + 1 + cluster.pick(200_000);
      store.edge('bench/memory', e.node ?? '', e);
    }
    clock.now += BIN_MS;
  }
  const h = store.get('bench/memory');
  h?.bins.advance(Math.floor(clock.now / BIN_MS) + 1);
  gc?.();
  const after = process.memoryUsage();
  const t0 = performance.now();
  let n = 0;
  if (h) store.each(h, clock.now - 3_600_000, clock.now, () => n++);
  return {
    edges: EDGES,
    bins: BINS,
    deltasHeld: n,
    packedMB: Math.round(((h?.bins.packedBytes() ?? 0) / MB) * 10) / 10,
    heapGrowthMB:
      Math.round(
        ((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / MB) * 10,
      ) / 10,
    rssMB: Math.round(after.rss / MB),
    rssGrowthMB: Math.round((after.rss - before.rss) / MB),
    readHourMs: Math.round(performance.now() - t0),
  };
}

if (values.part === 'memory') {
  process.stdout.write(`${JSON.stringify(memory())}\n`);
} else {
  const figures: Record<string, unknown> = {};
  if (values.part === undefined || values.part === 'draw') {
    const d = await draw();
    figures.draw = d;
    console.table(d);
  }
  if (values.part === 'labels') figures.labelsShown = await labels();
  if (values.part === undefined) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--part', 'memory'],
      {
        encoding: 'utf8',
      },
    );
    figures.memory = JSON.parse(out.trim().split('\n').pop() ?? '{}');
  }
  console.log(JSON.stringify(figures, null, 2));
  console.log(`written to ${writeResults('graph-page', figures)}`);
  const d = figures.draw as Record<string, Record<string, number>> | undefined;
  const m = figures.memory as Record<string, number> | undefined;
  const missed =
    (d &&
      [d.grouped, d.everything].some(
        (x) => (x?.firstDrawMs ?? 0) >= 2000 || (x?.panFps ?? 0) < 30 || x?.paintedPixels === 0,
      )) ||
    (m && ((m.heapGrowthMB ?? 0) >= 200 || (m.rssGrowthMB ?? 0) >= 200));
  process.exitCode = missed ? 1 : 0;
}
