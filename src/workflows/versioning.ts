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
  /**
   * Waits days for a person: moves to the current build, like the other long-lived workflows
   * (abandoned by the drill, so it does not hold the drill's build alive).
   */
  drillSignOffWorkflow: 'AUTO_UPGRADE',
} as const satisfies Record<string, VersioningBehavior>;

/**
 * The behaviour goes to the server only from a versioned worker: the server refuses a versioning
 * behaviour from an unversioned one ("versioning behavior cannot be specified without deployment
 * options being set with versioned mode"). A versioned worker's activation carries its deployment
 * name; an unversioned worker's carries none (only the SDK's own build id, with an empty name).
 */
export function definitionOptionsFor(name: keyof typeof VERSIONING_BEHAVIOR, versioned: boolean): { versioningBehavior?: VersioningBehavior } {
  return versioned ? { versioningBehavior: VERSIONING_BEHAVIOR[name] } : {};
}

/**
 * Attaches each workflow's behaviour to the function the bundle entry exports (src/workflows/index.ts:
 * the SDK reads it from there). This module imports no workflow, so a run loads only its own.
 */
export function applyVersioningBehavior(workflows: Record<keyof typeof VERSIONING_BEHAVIOR, (...args: never[]) => Promise<unknown>>): void {
  for (const [name, fn] of Object.entries(workflows)) {
    const key = name as keyof typeof VERSIONING_BEHAVIOR;
    setWorkflowOptions(
      () => definitionOptionsFor(key, Boolean(workflowInfo().currentDeploymentVersion?.deploymentName)),
      fn as (...a: unknown[]) => Promise<unknown>,
    );
  }
}
