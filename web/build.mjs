// Builds the graph page into dist/web (run by `npm run build`): one script and one
// stylesheet bundled by esbuild from the npm packages, so the page needs no CDN.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url);
const out = new URL('../dist/web/', import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL('main.ts', here).pathname],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'chrome110',
  outfile: new URL('app.js', out).pathname,
  logLevel: 'warning',
});
// esbuild writes the CSS imported by the script (uPlot's) beside it; the page's own goes after.
const bundled = readFileSync(new URL('app.css', out), 'utf8');
writeFileSync(new URL('app.css', out), bundled + readFileSync(new URL('style.css', here), 'utf8'));
copyFileSync(new URL('index.html', here), new URL('index.html', out));
