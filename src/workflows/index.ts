/**
 * The workflow bundle's entry: every workflow type the worker registers, by name — loaded lazily.
 *
 * The SDK's reusable VM gives each workflow run its own module cache, so whatever this entry imports
 * at the top is evaluated again for every run. Importing all the workflows made every run — even a
 * small ack timer — evaluate zod and every domain schema any workflow reaches (~8.5 ms CPU and
 * ~2.2 MiB a run, issue 12). Each export here is a thin function that `require`s its workflow's
 * module only when a run of that type starts: webpack still bundles every module (the `require`
 * strings are literal), but a run evaluates only its own workflow's import graph.
 *
 * Behaviour is unchanged: the wrapper returns the workflow's own promise (no extra await, so no
 * extra microtask), handlers are set by the workflow as before, and the versioning behaviour is
 * attached to these exported functions (the SDK reads it from `mod[workflowType]`). Per-run module
 * state (src/workflows/entry-halts.ts) stays per run: the `require` runs inside the run's own cache.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy per-workflow loading, see above */
import type * as AlertWatch from './alert-watch';
import type * as DrillLock from './drill-lock';
import type * as DrillSignOff from './drill-signoff';
import type * as HaltRegistry from './halt-registry';
import type * as Incident from './incident';
import type * as IncidentAck from './incident-ack';
import type * as PromotionGate from './promotion-gate';
import type * as Recovery from './recovery';
import type * as WeeklyDrill from './weekly-drill';
import { applyVersioningBehavior } from './versioning';

type Fn<M, K extends keyof M> = M[K] extends (...a: infer A) => infer R ? (...a: A) => R : never;

export function alertWatchWorkflow(...a: Parameters<Fn<typeof AlertWatch, 'alertWatchWorkflow'>>): ReturnType<Fn<typeof AlertWatch, 'alertWatchWorkflow'>> {
  return (require('./alert-watch') as typeof AlertWatch).alertWatchWorkflow(...a);
}

export function incidentWorkflow(...a: Parameters<Fn<typeof Incident, 'incidentWorkflow'>>): ReturnType<Fn<typeof Incident, 'incidentWorkflow'>> {
  return (require('./incident') as typeof Incident).incidentWorkflow(...a);
}

export function incidentAckWorkflow(
  ...a: Parameters<Fn<typeof IncidentAck, 'incidentAckWorkflow'>>
): ReturnType<Fn<typeof IncidentAck, 'incidentAckWorkflow'>> {
  return (require('./incident-ack') as typeof IncidentAck).incidentAckWorkflow(...a);
}

export function promotionGateWorkflow(
  ...a: Parameters<Fn<typeof PromotionGate, 'promotionGateWorkflow'>>
): ReturnType<Fn<typeof PromotionGate, 'promotionGateWorkflow'>> {
  return (require('./promotion-gate') as typeof PromotionGate).promotionGateWorkflow(...a);
}

export function weeklyDrillWorkflow(
  ...a: Parameters<Fn<typeof WeeklyDrill, 'weeklyDrillWorkflow'>>
): ReturnType<Fn<typeof WeeklyDrill, 'weeklyDrillWorkflow'>> {
  return (require('./weekly-drill') as typeof WeeklyDrill).weeklyDrillWorkflow(...a);
}

export function recoveryWorkflow(...a: Parameters<Fn<typeof Recovery, 'recoveryWorkflow'>>): ReturnType<Fn<typeof Recovery, 'recoveryWorkflow'>> {
  return (require('./recovery') as typeof Recovery).recoveryWorkflow(...a);
}

export function haltRegistryWorkflow(
  ...a: Parameters<Fn<typeof HaltRegistry, 'haltRegistryWorkflow'>>
): ReturnType<Fn<typeof HaltRegistry, 'haltRegistryWorkflow'>> {
  return (require('./halt-registry') as typeof HaltRegistry).haltRegistryWorkflow(...a);
}

export function drillTargetLockWorkflow(
  ...a: Parameters<Fn<typeof DrillLock, 'drillTargetLockWorkflow'>>
): ReturnType<Fn<typeof DrillLock, 'drillTargetLockWorkflow'>> {
  return (require('./drill-lock') as typeof DrillLock).drillTargetLockWorkflow(...a);
}

export function drillSignOffWorkflow(
  ...a: Parameters<Fn<typeof DrillSignOff, 'drillSignOffWorkflow'>>
): ReturnType<Fn<typeof DrillSignOff, 'drillSignOffWorkflow'>> {
  return (require('./drill-signoff') as typeof DrillSignOff).drillSignOffWorkflow(...a);
}

// Worker Deployment Versioning behaviour of each workflow above (PINNED / AUTO_UPGRADE).
applyVersioningBehavior({
  alertWatchWorkflow,
  incidentWorkflow,
  incidentAckWorkflow,
  promotionGateWorkflow,
  weeklyDrillWorkflow,
  recoveryWorkflow,
  haltRegistryWorkflow,
  drillTargetLockWorkflow,
  drillSignOffWorkflow,
});
