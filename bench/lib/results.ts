// Writes a benchmark's figures to bench/results/<name>.json (gitignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function writeResults(name: string, figures: Record<string, unknown>): string {
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${name}.json`;
  const body = { bench: name, date: new Date().toISOString(), ...figures };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
  return path;
}
