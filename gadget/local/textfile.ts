// ngraph's node_exporter textfile, from `netgraph-gadget local --textfile-dir DIR`:
// network_connections_input_total / network_connections_output_total with ngraph's
// labels (src_ip, dest_ip, peer_hostname), plus the same edges' bytes, written as
// DIR/ngraph.prom. Written to a temporary name (which node_exporter ignores: it reads
// *.prom only) then renamed over the file, so node_exporter never reads half a file.
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import type { Edge } from '../../api/edge.js';
import {
  NGRAPH_HELP,
  NGRAPH_INPUT,
  NGRAPH_INPUT_BYTES,
  NGRAPH_LABELS,
  NGRAPH_OUTPUT,
  NGRAPH_OUTPUT_BYTES,
  ngraphBytesName,
  ngraphLabels,
  ngraphName,
} from '../../api/metrics.js';

export const TEXTFILE_NAME = 'ngraph.prom';

const BYTES_HELP = {
  [NGRAPH_INPUT_BYTES]: 'Bytes of the connections accepted, by peer: direction sent or received',
  [NGRAPH_OUTPUT_BYTES]: 'Bytes of the connections opened, by peer: direction sent or received',
};

/**
 * The textfile of these edges (cumulative counters since attach), summed per label set.
 * `peerName` names a peer address (the traced namespace holding it), '' when unknown.
 */
export async function renderTextfile(
  edges: Iterable<Edge>,
  peerName: (ip: string) => string,
): Promise<string> {
  const registry = new Registry();
  const registers = [registry];
  const labelNames = [...NGRAPH_LABELS];
  const counters: Record<string, Counter<string>> = {};
  for (const name of [NGRAPH_INPUT, NGRAPH_OUTPUT] as const)
    counters[name] = new Counter({ name, help: NGRAPH_HELP[name], labelNames, registers });
  for (const name of [NGRAPH_INPUT_BYTES, NGRAPH_OUTPUT_BYTES] as const)
    counters[name] = new Counter({
      name,
      help: BYTES_HELP[name],
      labelNames: [...labelNames, 'direction'],
      registers,
    });
  for (const e of edges) {
    if (e.type !== 'normal' || !e.pktType) continue;
    const ip = e.ip ?? '';
    const labels = ngraphLabels(e, e.podIP ?? '', ip, peerName(ip));
    counters[ngraphName(e)]?.inc(labels, e.connections ?? 0);
    const bytes = counters[ngraphBytesName(e)];
    bytes?.inc({ ...labels, direction: 'sent' }, e.bytesSent ?? 0);
    bytes?.inc({ ...labels, direction: 'received' }, e.bytesReceived ?? 0);
  }
  return registry.metrics();
}

/** Writes DIR/ngraph.prom whole: a temporary file in DIR, then a rename over the old one. */
export async function writeTextfile(dir: string, text: string): Promise<string> {
  const path = join(dir, TEXTFILE_NAME);
  const tmp = join(dir, `.${TEXTFILE_NAME}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  return path;
}
