#!/usr/bin/env node
// The chart's post-delete hook: see operator/uninstall/release-finalizers.ts.
import { main } from '../dist/operator/uninstall/release-finalizers.js';

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`netgraph-release-finalizers: ${err?.message ?? err}\n`);
    process.exit(1);
  },
);
