/**
 * The weekly drill as a Temporal Schedule per target: create (idempotent: an existing schedule is
 * updated to the asked spec, not an error), describe, pause, unpause, trigger, backfill, delete.
 * Overlap SKIP (a drill still running skips the next), a catch-up window for missed runs.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { drillScheduleId, drillScheduleOptionsSchema, type DrillScheduleOptions } from '../domain/schedule';
import { weeklyDrillInputSchema } from '../domain/drill';
import { describeCalendarSpec, placementMemo, placementSpec, placementSummary, type PlacedSchedule } from './schedule-placement';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';
import { describeIssues } from '../domain/validation-kit';
import { scheduleDetails } from './start-details';

export class ScheduleInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleInputError';
  }
}

function optionsFor(raw: DrillScheduleOptions, taskQueue: string, placed?: PlacedSchedule): ScheduleOptions {
  const r = drillScheduleOptionsSchema.safeParse(raw);
  if (!r.success) throw new ScheduleInputError(describeIssues(r.error, { root: '(options)', rootWhenBlank: true }));
  const o = r.data;
  const input = { ...o.drillInput, target: o.target };
  const checked = weeklyDrillInputSchema.safeParse(input);
  if (!checked.success) throw new ScheduleInputError(`drill input: ${describeIssues(checked.error, { root: '' })}`);
  return {
    scheduleId: drillScheduleId(o.target),
    // With a market calendar: the placement's calendars and skips (issue 15); else the weekly slot.
    spec: placed
      ? placementSpec(placed.placement)
      : {
          calendars: [{ dayOfWeek: o.dayOfWeek, hour: o.hour, minute: o.minute, comment: `weekly DR drill of ${o.target}` }],
          timezone: o.timezone,
        },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: `${o.catchupWindowSeconds} seconds`, pauseOnFailure: false },
    action: {
      type: 'startWorkflow',
      workflowType: 'weeklyDrillWorkflow',
      taskQueue,
      // The server appends the scheduled time: one workflow (and drill id) per run.
      workflowId: workflowIds.scheduledDrill(o.target),
      args: [input],
      typedSearchAttributes: [{ key: SA.target, value: o.target }],
      staticSummary: `Weekly DR drill of ${o.target}`,
      staticDetails: scheduleDetails(drillScheduleId(o.target), [
        ['target', o.target],
        ['RTO / RPO targets', `${checked.data.rtoSeconds} s / ${checked.data.rpoSeconds} s`],
        ['chaos scenarios', checked.data.scenarios.join(', ') || 'none'],
        ['placement', placed ? 'market calendar (see the memo)' : `weekly, ${o.timezone}`],
      ]),
      ...(placed ? { memo: placementMemo(placed.placement, placed.calendar, placed.placedAtMs) } : {}),
    },
    state: { note: o.note ?? `weekly DR drill of ${o.target} (drill-runner)` },
  };
}

export interface ScheduleCreateResult {
  scheduleId: string;
  created: boolean;
  description: ScheduleDescription;
}

/** Creates or updates the target's schedule; `placed`: on a market calendar (its placement's spec). */
export async function createDrillSchedule(
  client: Client,
  raw: DrillScheduleOptions,
  taskQueue: string,
  placed?: PlacedSchedule,
): Promise<ScheduleCreateResult> {
  const opts = optionsFor(raw, taskQueue, placed);
  try {
    const handle = await client.schedule.create(opts);
    return { scheduleId: opts.scheduleId, created: true, description: await handle.describe() };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = client.schedule.getHandle(opts.scheduleId);
    await handle.update((prev) => ({ ...prev, spec: opts.spec, policies: opts.policies, action: opts.action }) as typeof prev);
    return { scheduleId: opts.scheduleId, created: false, description: await handle.describe() };
  }
}

export class ScheduleMissingError extends Error {
  constructor(target: string) {
    super(`no drill schedule for target ${target} (create it with \`drill schedule create --target ${target}\`)`);
    this.name = 'ScheduleMissingError';
  }
}

async function onHandle<T>(client: Client, target: string, fn: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(drillScheduleId(target)));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ScheduleMissingError(target);
    throw err;
  }
}

export const describeDrillSchedule = (client: Client, target: string) => onHandle(client, target, (h) => h.describe());
export const pauseDrillSchedule = (client: Client, target: string, note?: string) =>
  onHandle(client, target, (h) => h.pause(note ?? 'paused with drill schedule pause'));
export const unpauseDrillSchedule = (client: Client, target: string, note?: string) =>
  onHandle(client, target, (h) => h.unpause(note ?? 'unpaused with drill schedule unpause'));
/** Runs a drill now; with a drill still running it is skipped (overlap SKIP) unless `overlap` says otherwise. */
export const triggerDrillSchedule = (client: Client, target: string, overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP) =>
  onHandle(client, target, (h) => h.trigger(overlap));
export const backfillDrillSchedule = (client: Client, target: string, start: Date, end: Date) =>
  onHandle(client, target, (h) => h.backfill({ start, end, overlap: ScheduleOverlapPolicy.SKIP }));
export const deleteDrillSchedule = async (client: Client, target: string): Promise<{ deleted: boolean }> => {
  try {
    await client.schedule.getHandle(drillScheduleId(target)).delete();
    return { deleted: true };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { deleted: false };
    throw err;
  }
};

/** The parts of a description the CLI prints. */
export function summarizeSchedule(d: ScheduleDescription) {
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note,
    timezone: d.spec.timezone ?? 'UTC',
    calendars: (d.spec.calendars ?? []).map(describeCalendarSpec),
    skip: (d.spec.skip ?? []).map(describeCalendarSpec),
    ...placementSummary(d),
    overlap: d.policies.overlap,
    catchupWindowSeconds: Math.round(d.policies.catchupWindow / 1000),
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    recent: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    skippedOverlap: d.info.numActionsSkippedOverlap,
  };
}
