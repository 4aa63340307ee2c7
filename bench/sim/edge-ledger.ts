// What the operators' logs say happened, checked against the traffic's truth: every
// edge line (a new edge) and every edge total (its counters when the trace stopped),
// across all replicas' logs, a killed one's included. An edge the truth has and no log
// line names is lost; one logged by more than one line (one replica twice, or two
// replicas) is counted twice; a total that differs from the truth is miscounted.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { COUNTER_FIELDS, type EdgeCounters } from '../../api/edge.js';
import { edgeKeyOf } from './traffic.js';

export interface LedgerCheck {
  /** Edges in the truth. */
  expected: number;
  /** Distinct edges logged as new. */
  logged: number;
  /** Truth edges no edge line names. */
  lost: number;
  /** Edge lines past the first for an edge. */
  countedTwice: number;
  /** Edge lines for no edge of the truth. */
  unknown: number;
  /** Edge totals: how many, truth edges without one, and those whose counters differ. */
  totals: number;
  totalsMissing: number;
  totalsWrong: number;
  /** Sum of connections over the totals, and the truth's. */
  connections: number;
  expectedConnections: number;
}

async function* jsonLines(path: string, ending: string): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line.endsWith(ending)) yield JSON.parse(line);
}

export async function checkLedger(
  logs: readonly string[],
  trace: string,
  truth: ReadonlyMap<string, Required<EdgeCounters>>,
): Promise<LedgerCheck> {
  const seen = new Map<string, number>();
  const totals = new Map<string, Record<string, unknown>>();
  let totalLines = 0;
  for (const path of logs) {
    for await (const l of jsonLines(path, '"msg":"edge"}')) {
      if (l.trace !== trace) continue;
      const k = edgeKeyOf(l);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    for await (const l of jsonLines(path, '"msg":"edge total"}')) {
      if (l.trace !== trace) continue;
      totalLines++;
      totals.set(edgeKeyOf(l), l);
    }
  }
  let countedTwice = 0;
  let unknown = 0;
  for (const [k, n] of seen) {
    countedTwice += n - 1;
    if (!truth.has(k)) unknown++;
  }
  let lost = 0;
  let totalsMissing = 0;
  let totalsWrong = 0;
  let connections = 0;
  let expectedConnections = 0;
  for (const [k, want] of truth) {
    expectedConnections += want.connections;
    if (!seen.has(k)) lost++;
    const got = totals.get(k);
    if (!got) {
      totalsMissing++;
      continue;
    }
    connections += Number(got.connections ?? 0);
    if (COUNTER_FIELDS.some((f) => Number(got[f] ?? 0) !== want[f])) totalsWrong++;
  }
  return {
    expected: truth.size,
    logged: seen.size,
    lost,
    countedTwice,
    unknown,
    totals: totalLines,
    totalsMissing,
    totalsWrong,
    connections,
    expectedConnections,
  };
}
