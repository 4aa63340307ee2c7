// Where the committed BPF objects are: bpf/ at the package root, reached from
// gadget/dataplane/ (source, under vitest) or from dist/gadget/dataplane/ (compiled).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function bpfObjectPath(name: 'netgraph' | 'netgraph-owner' | 'empty'): string {
  for (const rel of ['../../bpf/', '../../../bpf/']) {
    const p = fileURLToPath(new URL(`${rel}${name}.bpf.o`, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`BPF object ${name}.bpf.o not found (run bpf/build)`);
}
