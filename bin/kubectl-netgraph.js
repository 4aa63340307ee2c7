#!/usr/bin/env node
// `kubectl netgraph`: kubectl runs this when it is on PATH as kubectl-netgraph.
import { main } from '../dist/cli/main.js';

// `kubectl netgraph observe x | head`: the reader is gone, which is not an error.
process.stdout.on('error', (err) => process.exit(err.code === 'EPIPE' ? 0 : 1));

const interrupted = new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});

main(process.argv.slice(2), { out: process.stdout, err: process.stderr, interrupted }).then(
  (code) => {
    process.exitCode = code;
    // Streams and proxies are closed by now; a keep-alive socket left must not hold the exit.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err) => {
    process.stderr.write(`error: ${err?.message ?? err}\n`);
    process.exit(1);
  },
);
