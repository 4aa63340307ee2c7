import { defineConfig } from 'vitest/config';

// Four projects, from fast to real:
// - unit: pure logic, no root, no network;
// - browser: the graph page in Debian's Chromium, served in-process from a synthetic trace
//   (test/synthetic-trace.ts): no root, no test bed;
// - netns: real eBPF and real packets between network namespaces the tests make (root);
// - e2e: the whole operator on the test bed (real apiserver, real agents, real eBPF).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{api,lib,operator,gadget,web,cli}/**/*.test.ts', 'test/*.test.ts'],
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // After each file: no operator or agent log line carried token material.
          setupFiles: ['test/e2e/no-token-logged.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
