// One pino logger for every entry point: JSON lines on stdout, level from
// NETGRAPH_LOG_LEVEL (or LOG_LEVEL), info by default. Errors go in as `{ err }`:
// the serializer keeps their type, message, stack, code and cause.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function logger(name: string, level?: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: level ?? process.env.NETGRAPH_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.errWithCause },
  };
  // stdout unless a test reads the lines.
  return destination ? pino(options, destination) : pino(options);
}
