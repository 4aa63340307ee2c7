#!/usr/bin/env node
import { main } from '../dist/operator/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`netgraph-operator: ${err?.message ?? err}\n`);
    process.exit(1);
  },
);
