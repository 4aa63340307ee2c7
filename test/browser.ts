// Debian's Chromium driven by playwright-core, for the graph page's tests and its
// benchmark. Nothing is downloaded (`npx playwright install` cannot run here): the
// browser is /usr/bin/chromium from apt. WebGL in headless Chromium needs
// SwiftShader (--enable-unsafe-swiftshader), or the graph draws nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import type { Entity, GraphEdge } from '../api/graph.js';

export const CHROMIUM = process.env.NETGRAPH_CHROMIUM ?? '/usr/bin/chromium';

/** A fresh profile (--user-data-dir) each time; close() ends the browser and removes it. */
export async function launchChromium(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profile = mkdtempSync(join(tmpdir(), 'netgraph-chromium-'));
  // playwright passes the profile as --user-data-dir itself.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** What the graph page exposes as `window.netgraph` for tests and the benchmark (web/main.ts). */
export interface PageHooks {
  edgeMiddle(id: string): { x: number; y: number } | undefined;
  nodePosition(id: string): { x: number; y: number } | undefined;
  edgeColor(id: string): string | undefined;
  /** Its width as drawn now (a faint edge's is scale.ts's FAINT_WIDTH). */
  edgeSize(id: string): number | undefined;
  /** The edges drawn strong when no end of theirs is hovered or open (scale.ts's splitEdges). */
  strongEdges(): string[];
  shown(): {
    entities: Pick<Entity, 'id' | 'kind' | 'namespace'>[];
    edges: Omit<GraphEdge, 'ports'>[];
  };
  painted(): number;
  draws(): number;
  firstDrawMs(): number;
  /** Labels drawn at this zoom (sigma leaves out those that would overlap), of how many. */
  labelsShown(): { shown: number; of: number };
}
