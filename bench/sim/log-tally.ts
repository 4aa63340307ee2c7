// The simulated agents' log, tallied: a thousand agents failing the same way would
// bury the bench's own output, so each message is counted and only its first line kept.
import type { DestinationStream } from 'pino';

export class LogTally implements DestinationStream {
  readonly counts = new Map<string, { n: number; first: string }>();

  write(line: string): void {
    const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 80);
    const c = this.counts.get(msg);
    if (c) c.n++;
    else this.counts.set(msg, { n: 1, first: line.trim() });
  }

  /** Each message with its count, most frequent first. */
  summary(): Record<string, number> {
    return Object.fromEntries(
      [...this.counts].sort((a, b) => b[1].n - a[1].n).map(([m, c]) => [m, c.n]),
    );
  }
}
