/**
 * All activities, built from their dependencies. Workflows see them only as types:
 * `proxyActivities<Activities>()`.
 */
import path from 'node:path';
import type { Config } from '../config';
import { fileTargetResolver, type TargetResolver } from '../io/targets';
import { createAckFileActivities, type AckFileOptions } from './ack-file';
import { createArtifactActivities } from './artifacts';
import { createBrokerActivities } from './broker';
import { createCalendarActivities } from './calendar';
import { createChaosActivities } from './chaos';
import { createDrillActivities } from './drill';
import { createDrillWaitActivities } from './drill-waits';
import { createDrillWindowActivities } from './drill-window';
import { createGatewayActivities } from './gateway';
import { createHaltActivities } from './halts';
import { createIncidentActivities } from './incidents';
import { createPagingActivities } from './paging';
import { createProcessControlActivities } from './process-control';
import { createPromotionActivities } from './promotion';
import { createRecoveryActivities } from './recovery';
import { createReportActivities } from './reports';
import { createRuntimeStateActivities } from './runtime-state';
import type { ActivityName } from './names';

export interface ActivityDeps {
  /** `resultsDir` (drills read, promotions written) defaults to the parent of `runsDir`. */
  config: Pick<Config, 'paging' | 'runsDir'> & Partial<Pick<Config, 'stateDir' | 'resultsDir' | 'targetEnvAllow' | 'deployment' | 'kpiDir'>>;
  /** Target name → config. Default: the targets file (`DRILL_TARGETS_FILE`, else `targets.json`), re-read on change. */
  targets?: TargetResolver;
  /** The ack timer's run-file watches (cap per process, poll interval). */
  ackFile?: AckFileOptions;
  /** SHA-256 of the workflow bundle this worker runs (the prebuilt one), for the drill report's procedure version. */
  workflowBundleSha256?: string;
}

export function createActivities(deps: ActivityDeps) {
  const targets = deps.targets ?? fileTargetResolver();
  return {
    // Delivered-page markers live in the state folder the fleet shares (none without one).
    ...createPagingActivities(deps.config.paging, deps.config.runsDir, deps.config.stateDir ? path.join(deps.config.stateDir, 'ops') : undefined),
    ...createAckFileActivities(deps.config.runsDir, deps.ackFile),
    ...createArtifactActivities(deps.config.runsDir),
    ...createPromotionActivities({
      runsDir: deps.config.runsDir,
      resultsDir: deps.config.resultsDir ?? path.dirname(deps.config.runsDir),
      targets,
      ...(deps.config.kpiDir ? { kpiDir: deps.config.kpiDir } : {}),
    }),
    ...createReportActivities(deps.config.resultsDir ?? path.dirname(deps.config.runsDir), deps.config.deployment, deps.workflowBundleSha256),
    ...targetActivities({ ...deps, targets }),
  };
}

/** Gateway, process control, runtime state and broker adapters: one set per worker, any number of targets. */
function targetActivities(deps: ActivityDeps & { targets: TargetResolver }) {
  const target = {
    targets: deps.targets,
    opsDir: path.join(deps.config.stateDir ?? '.drill-runner', 'ops'),
    envAllow: deps.config.targetEnvAllow ?? [],
  };
  return {
    ...createGatewayActivities(target),
    ...createHaltActivities(target),
    ...createProcessControlActivities(target),
    ...createRuntimeStateActivities(target),
    ...createBrokerActivities(target),
    ...createIncidentActivities(target),
    ...createRecoveryActivities(target),
    ...createDrillActivities(target),
    ...createDrillWaitActivities(target),
    ...createChaosActivities(target),
    ...createDrillWindowActivities(target),
    ...createCalendarActivities(target),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Exactly the same keys (`never` otherwise: a compile error where it is used). */
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** ACTIVITY_NAMES (./names.ts) lists exactly the activities `createActivities` builds. */
export const ACTIVITY_NAMES_MATCH: SameKeys<keyof Activities, ActivityName> = true;
