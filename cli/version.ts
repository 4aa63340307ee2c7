// version: the package's version, read where npm installed it (dist/cli/ is two levels
// below package.json, in the checkout and in an installed package alike).
import { readFileSync } from 'node:fs';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return `kubectl-netgraph ${pkg.version} (${pkg.name}, Node.js ${process.version})`;
}
