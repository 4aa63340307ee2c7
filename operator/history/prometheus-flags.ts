// The operator's Prometheus flags (history past its memory), parsed and checked: a bad
// value is refused at start with a message naming the flag. Files are checked readable
// here, so a typo fails the start rather than every query.
import { accessSync, constants } from 'node:fs';
import type { PrometheusOptions } from './prometheus-source.js';

export const PROMETHEUS_USAGE = `  --prometheus-url URL     a Prometheus that scrapes this operator: the graph page's windows
                           reaching before the operator's memory (--history-window, or since
                           the operator started) are read from it, workload-level, by
                           range queries over netgraph_edge_*; default none (memory only)
  --prometheus-ca-file PATH  PEM CA to verify an https --prometheus-url (default: the system's)
  --prometheus-token-file PATH  a bearer token for it, read at every query`;

export const PROMETHEUS_FLAG_OPTIONS = {
  'prometheus-url': { type: 'string' },
  'prometheus-ca-file': { type: 'string' },
  'prometheus-token-file': { type: 'string' },
} as const;

export function parsePrometheusFlags(v: {
  'prometheus-url'?: string;
  'prometheus-ca-file'?: string;
  'prometheus-token-file'?: string;
}): PrometheusOptions | undefined {
  const url = v['prometheus-url'];
  const caFile = v['prometheus-ca-file'];
  const tokenFile = v['prometheus-token-file'];
  if (url === undefined || url === '') {
    if (caFile || tokenFile)
      throw new Error('--prometheus-ca-file and --prometheus-token-file need --prometheus-url');
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--prometheus-url must be a URL like http://prometheus:9090, not "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`--prometheus-url must be http or https, not "${parsed.protocol}"`);
  if (caFile && parsed.protocol !== 'https:')
    throw new Error('--prometheus-ca-file is for an https --prometheus-url');
  for (const [flag, file] of [
    ['--prometheus-ca-file', caFile],
    ['--prometheus-token-file', tokenFile],
  ] as const) {
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new Error(`${flag}: cannot read "${file}"`);
    }
  }
  return { url, ...(caFile && { caFile }), ...(tokenFile && { tokenFile }) };
}
