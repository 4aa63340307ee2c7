#!/usr/bin/env node
import { main } from '../dist/gadget/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`netgraph-gadget: ${err?.message ?? err}\n`);
    process.exit(1);
  },
);
