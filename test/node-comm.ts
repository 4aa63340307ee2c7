// The task name (comm) the kernel gives the main thread of this Node binary, which is
// what netgraph reports as the process behind a connection a Node test tool opens. Node
// names its main thread (node-MainThread from Node 26 on): ask the binary, never assume.
import { execFileSync } from 'node:child_process';

export const nodeMainThreadComm = (): string =>
  execFileSync(process.execPath, [
    '-e',
    "process.stdout.write(require('node:fs').readFileSync('/proc/thread-self/comm', 'utf8').trim())",
  ]).toString();
