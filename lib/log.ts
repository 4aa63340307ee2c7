// One pino logger for every entry point: JSON lines on stdout, level from
// NETGRAPH_LOG_LEVEL (or LOG_LEVEL), info by default.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function logger(name: string, level?: string): Logger {
  return pino({
    name,
    level: level ?? process.env.NETGRAPH_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
