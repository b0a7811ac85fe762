/**
 * Temporal's SDK and Core logs, forwarded into drill-runner's pino logger (src/logger.ts). Apart from
 * it because it needs the worker SDK: only the processes that run a worker or a test server load it.
 */
import type { Logger } from 'pino';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

const levelMap: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** A Temporal logger that writes into pino, keeping the SDK's metadata (workflow id, run id, ...). */
export function temporalLoggerFor(logger: Logger, level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const { meta, message } = entry;
    logger[levelMap[entry.level]]({ ...(meta ?? {}), sdk: true }, message);
  });
}
