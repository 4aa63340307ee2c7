// status.output for outputMode Status: the unique edges as Inspektor Gadget's
// EventsString() JSON array, cut to a size etcd and kubectl stay happy with.
import { type Edge, edgeToJSON } from '../../api/edge.js';

/** Default bound on status.output; etcd refuses objects over 1.5 MiB. */
export const STATUS_OUTPUT_MAX_BYTES = 256 * 1024;

export interface StatusOutput {
  output: string;
  /** Edges left out to respect the bound. */
  left: number;
  warning?: string;
}

export function statusOutput(
  edges: readonly Edge[],
  maxBytes = STATUS_OUTPUT_MAX_BYTES,
): StatusOutput {
  const parts: string[] = [];
  let size = 2; // the brackets
  for (const e of edges) {
    const s = JSON.stringify(edgeToJSON(e));
    const next = size + s.length + (parts.length > 0 ? 1 : 0);
    if (next > maxBytes) break;
    parts.push(s);
    size = next;
  }
  const left = edges.length - parts.length;
  return {
    output: `[${parts.join(',')}]`,
    left,
    ...(left > 0 && {
      warning: `${left} of ${edges.length} edges left out of status.output (limit ${maxBytes} bytes); the log stream has them all`,
    }),
  };
}
