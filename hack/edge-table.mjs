// Prints the "edge total" lines of an operator log (JSON lines on stdin) as a table:
// what hack/demo shows at the end of a trace.
import { text } from 'node:stream/consumers';

const rows = (await text(process.stdin))
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l))
  .filter((e) => e.msg === 'edge total')
  .map((e) => [
    `${e.namespace}/${e.pod}`,
    e.pktType,
    e.proto,
    `${e.ip}:${e.port}`,
    `${e.remoteKind} ${e.remoteServiceName ?? e.remotePodName ?? e.remoteName ?? e.remoteOther ?? ''}`,
    String(e.connections),
    String(e.bytesSent),
    String(e.bytesReceived),
  ]);
rows.unshift(['POD', 'DIRECTION', 'PROTO', 'REMOTE', 'REMOTE IS', 'CONNS', 'SENT', 'RECEIVED']);
const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(width[i])).join('  '));
