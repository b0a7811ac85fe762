/**
 * Worker Deployment Versioning: which workflows stay on the code that started them (PINNED) and
 * which move to the current version at their next task (AUTO_UPGRADE). Used only when a worker runs
 * with `DRILL_WORKER_VERSIONING=true`; unversioned workers ignore it. Reasons in docs/decisions.md.
 *
 * - PINNED: a run finishes on the build that started it, so a deploy in the middle of a drill or a
 *   week-long recovery never changes the code that is running it. Children on the same task queue
 *   (the incident's recovery and ack timer) inherit their parent's pinned version.
 * - AUTO_UPGRADE: the alert watcher runs for as long as its trading run does and continues-as-new,
 *   and each target's halt registry lives as long as the target; pinned, they would keep the old
 *   build's workers alive forever. It moves to the current version;
 *   its changes are guarded with `patched()` and replay tests, like every change to it already is.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { alertWatchWorkflow } from './alert-watch';
import { drillTargetLockWorkflow } from './drill-lock';
import { haltRegistryWorkflow } from './halt-registry';
import { incidentWorkflow } from './incident';
import { incidentAckWorkflow } from './incident-ack';
import { promotionGateWorkflow } from './promotion-gate';
import { recoveryWorkflow } from './recovery';
import { weeklyDrillWorkflow } from './weekly-drill';

/** Every registered workflow type and its behaviour (test/unit/versioning.test.ts checks it is complete). */
export const VERSIONING_BEHAVIOR = {
  weeklyDrillWorkflow: 'PINNED',
  incidentWorkflow: 'PINNED',
  recoveryWorkflow: 'PINNED',
  incidentAckWorkflow: 'PINNED',
  promotionGateWorkflow: 'PINNED',
  alertWatchWorkflow: 'AUTO_UPGRADE',
  haltRegistryWorkflow: 'AUTO_UPGRADE',
  /** A child of the drill: inherits its parent's pinned version. */
  drillTargetLockWorkflow: 'PINNED',
} as const satisfies Record<string, VersioningBehavior>;

const workflows = {
  weeklyDrillWorkflow,
  incidentWorkflow,
  recoveryWorkflow,
  incidentAckWorkflow,
  promotionGateWorkflow,
  alertWatchWorkflow,
  haltRegistryWorkflow,
  drillTargetLockWorkflow,
} satisfies Record<keyof typeof VERSIONING_BEHAVIOR, (...args: never[]) => Promise<unknown>>;

/**
 * The behaviour goes to the server only from a versioned worker: the server refuses a versioning
 * behaviour from an unversioned one ("versioning behavior cannot be specified without deployment
 * options being set with versioned mode"). A versioned worker's activation carries its deployment
 * name; an unversioned worker's carries none (only the SDK's own build id, with an empty name).
 */
export function definitionOptionsFor(
  name: keyof typeof VERSIONING_BEHAVIOR,
  versioned: boolean,
): { versioningBehavior?: VersioningBehavior } {
  return versioned ? { versioningBehavior: VERSIONING_BEHAVIOR[name] } : {};
}

for (const [name, fn] of Object.entries(workflows)) {
  const key = name as keyof typeof VERSIONING_BEHAVIOR;
  setWorkflowOptions(
    () => definitionOptionsFor(key, Boolean(workflowInfo().currentDeploymentVersion?.deploymentName)),
    fn as (...a: unknown[]) => Promise<unknown>,
  );
}
