// The operator's metrics flags, parsed and checked (pure): a bad value is refused at
// start with a message naming the flag.
import { METRICS_LABEL_OPTIONS, type MetricsLabelOption } from '../../api/metrics.js';
import { parseDuration } from '../../lib/duration.js';
import { type PeerPrefixes, parsePeerPrefixes } from './peer-bucket.js';

export const METRICS_USAGE = `  --metrics-labels pod,ip  opt-in labels on netgraph_edge_* for every trace: pod (pod and
                           remote_pod), ip (pod_ip and remote_ip); default none (workload level).
                           A Trace can opt in alone with spec.parameters.metricsLabels
  --metrics-peer-prefix V4[,V6]
                           peers outside the cluster are labelled by their network at these prefix
                           lengths (default 24,64; 0 puts them all in "world")
  --metrics-max-series N   cap on the graph's series; the rest is counted under an overflow label
                           set (default 50000)
  --metrics-grace D        how long a gone workload's or deleted trace's series stay (default 1m)`;

export interface MetricsFlags {
  optIn: ReadonlySet<MetricsLabelOption>;
  peer: PeerPrefixes;
  maxSeries: number;
  graceMs: number;
}

export const METRICS_FLAG_OPTIONS = {
  'metrics-labels': { type: 'string' },
  'metrics-peer-prefix': { type: 'string' },
  'metrics-max-series': { type: 'string' },
  'metrics-grace': { type: 'string' },
} as const;

export function parseMetricsFlags(v: {
  'metrics-labels'?: string;
  'metrics-peer-prefix'?: string;
  'metrics-max-series'?: string;
  'metrics-grace'?: string;
}): MetricsFlags {
  const labels = (v['metrics-labels'] ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  const bad = labels.find((l) => !(METRICS_LABEL_OPTIONS as readonly string[]).includes(l));
  if (bad !== undefined)
    throw new Error(
      `--metrics-labels takes ${METRICS_LABEL_OPTIONS.join(', ')} (comma-separated), not "${bad}"`,
    );
  const maxText = v['metrics-max-series'] ?? '50000';
  const maxSeries = Number(maxText);
  if (!Number.isInteger(maxSeries) || maxSeries < 10 || maxSeries > 10_000_000)
    throw new Error(
      `--metrics-max-series must be a whole number from 10 to 10000000, not "${maxText}"`,
    );
  return {
    optIn: new Set(labels as MetricsLabelOption[]),
    peer: parsePeerPrefixes(v['metrics-peer-prefix'] ?? '24,64'),
    maxSeries,
    graceMs: parseDuration(v['metrics-grace'] ?? '1m', '--metrics-grace'),
  };
}
