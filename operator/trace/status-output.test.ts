import { describe, expect, it } from 'vitest';
import { type Edge, eventsString } from '../../api/edge.js';
import { statusOutput } from './status-output.js';

const edges: Edge[] = Array.from({ length: 50 }, (_, i) => ({
  type: 'normal',
  namespace: 'demo',
  pod: `p${i}`,
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: `10.0.0.${i}`,
  port: 80,
}));

describe('statusOutput', () => {
  it('is eventsString when everything fits', () => {
    expect(statusOutput(edges)).toEqual({ output: eventsString(edges), left: 0 });
  });

  it('stays under the bound, stays valid JSON and says how many were left out', () => {
    const s = statusOutput(edges, 1000);
    expect(s.output.length).toBeLessThanOrEqual(1000);
    const kept = JSON.parse(s.output) as unknown[];
    expect(kept.length + s.left).toBe(50);
    expect(s.left).toBeGreaterThan(0);
    expect(s.warning).toBe(
      `${s.left} of 50 edges left out of status.output (limit 1000 bytes); the log stream has them all`,
    );
  });
});
