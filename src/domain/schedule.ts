/**
 * The weekly drill schedule per target: its id, the default calendar (Sunday 03:00), options as a
 * zod schema, and a pure "next runs" computation used to check what the server reports. Pure: no
 * I/O; time zones other than UTC are left to the server (`nextRunsUtc` handles UTC only).
 */
import { z } from 'zod';
import { targetNameSchema } from './ids';

export const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type Day = (typeof DAYS)[number];

export const drillScheduleOptionsSchema = z.object({
  target: targetNameSchema,
  dayOfWeek: z.enum(DAYS, { error: `expected one of ${DAYS.join(', ')}` }).default('SUNDAY'),
  hour: z.number().int().min(0).max(23).default(3),
  minute: z.number().int().min(0).max(59).default(0),
  /** IANA time zone name (the server applies it, daylight saving included). */
  timezone: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_+\-/]+$/, { error: 'expected an IANA time zone, e.g. Europe/London or UTC' })
    .default('UTC'),
  /** Missed runs (server or worker down) are still taken within this window. */
  catchupWindowSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86400)
    .default(86400),
  /** Extra drill input (scenarios, bounds, targets) for every scheduled run. */
  drillInput: z.record(z.string(), z.unknown()).default({}),
  note: z.string().max(500).optional(),
});
export type DrillScheduleOptions = z.input<typeof drillScheduleOptionsSchema>;
export type DrillScheduleParams = z.output<typeof drillScheduleOptionsSchema>;

/** One schedule per target. */
export const drillScheduleId = (target: string) => `drill-weekly-${target}`;

/** The next `n` run times of a weekly UTC calendar strictly after `fromMs`. */
export function nextRunsUtc(p: Pick<DrillScheduleParams, 'dayOfWeek' | 'hour' | 'minute'>, fromMs: number, n = 3): Date[] {
  const day = DAYS.indexOf(p.dayOfWeek);
  const from = new Date(fromMs);
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), p.hour, p.minute, 0, 0));
  d.setUTCDate(d.getUTCDate() + ((day - d.getUTCDay() + 7) % 7));
  if (d.getTime() <= fromMs) d.setUTCDate(d.getUTCDate() + 7);
  return Array.from({ length: n }, (_, i) => new Date(d.getTime() + i * 7 * 86_400_000));
}
