/**
 * One root pino logger per process, on stderr (stdout is for a command's own output): JSON lines by
 * default, pretty only on a TTY (colour unless `NO_COLOR` is set); secrets redacted wherever they
 * appear in a log object. Temporal's SDK and Core logs are forwarded into it
 * (src/temporal-logger.ts, apart: it needs the worker SDK, which most `drill` commands never load).
 */
import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths pino censors. Secrets only ever travel in fields with these names. */
export const REDACT_PATHS = [
  'webhookUrl',
  '*.webhookUrl',
  'paging.webhookUrl',
  'routingKey',
  '*.routingKey',
  'routing_key',
  '*.routing_key',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'SLO_PAGING_WEBHOOK_URL',
  '*.SLO_PAGING_WEBHOOK_URL',
  'SLO_PAGING_ROUTING_KEY',
  '*.SLO_PAGING_ROUTING_KEY',
  'TEMPORAL_API_KEY',
  '*.TEMPORAL_API_KEY',
  'headers.authorization',
  '*.headers.authorization',
  'paging.levels.*.webhookUrl',
  'paging.levels.*.routingKey',
  '*.paging.levels.*.webhookUrl',
  '*.paging.levels.*.routingKey',
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  /** For tests: capture lines instead of writing to stdout. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'drill-runner', ...(opts.base ?? {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.destination) return pino(options, opts.destination);
  if (opts.pretty) {
    const colorize = !process.env.NO_COLOR;
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } },
    });
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
