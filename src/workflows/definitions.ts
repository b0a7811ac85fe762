/**
 * Every signal, query and update, with stable wire names. The Web UI lists handlers by these names
 * and shows the description each workflow gives in `setHandler`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { WeeklyDrillStatus } from '../domain/drill';
import type { DrillSignOffStatus, SignOffRecord, SignOffRequest } from '../domain/drill-signoff';
import type { DrillLockHolder, DrillLockRelease, DrillLockStatus, DrillLockWho } from '../domain/drill-lock';
import type { AckRecord, AcknowledgeRequest, IncidentAckStatus, ResolveRequest } from '../domain/incident-ack';
import type { ForceResumeRequest, IncidentStatus, OperatorAction, ReclassifyRequest } from '../domain/incident';
import type { RecoveryStatus } from '../domain/recovery';
import type { TriageReport } from '../domain/triage';
import type { AlertWatchStatus, StopWatchRequest } from '../domain/watch';
import type { PromotionGateStatus } from '../domain/promotion';
import type { HaltOpResult, HaltRegistryStatus, HaltSignal, HoldRequest, ReleaseRequest } from '../domain/halts';
import type { ExternalResolution } from '../domain/incident';

/** Every workflow answers `status`; each narrows the type. */
export const incidentAckStatusQuery = defineQuery<IncidentAckStatus>('status');
export const acknowledgeUpdate = defineUpdate<AckRecord, [AcknowledgeRequest]>('acknowledge');
/** The incident is resolved (sent by incidentWorkflow when it resolves; operators may send it too). */
export const resolveIncidentSignal = defineSignal<[ResolveRequest]>('resolve');

export const promotionGateStatusQuery = defineQuery<PromotionGateStatus>('status');

export const alertWatchStatusQuery = defineQuery<AlertWatchStatus>('status');
/** Stop the watcher after the current cycle (signal: fire and forget; update: answers with the final status). */
export const stopWatchSignal = defineSignal<[StopWatchRequest]>('stop');
export const stopWatchUpdate = defineUpdate<AlertWatchStatus, [StopWatchRequest]>('stopWatch');

export const incidentStatusQuery = defineQuery<IncidentStatus>('status');
export const triageQuery = defineQuery<TriageReport | null>('triage');
export const forceResumeUpdate = defineUpdate<OperatorAction, [ForceResumeRequest]>('forceResume');
export const reclassifyUpdate = defineUpdate<OperatorAction, [ReclassifyRequest]>('reclassify');

/** An `incident_resolved` line this incident did not write (the run file is a source of truth): end it. */
export const incidentResolvedSignal = defineSignal<[ExternalResolution]>('incidentResolved');

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('status');

/** haltRegistryWorkflow (one per target): who holds entries halted. */
export const haltRegistryStatusQuery = defineQuery<HaltRegistryStatus>('status');
/** From workflows: hold or release, answered with `haltReply` to `replyTo`. */
export const haltRequestSignal = defineSignal<[HaltSignal]>('haltRequest');
/** The registry's answer to a `haltRequest`. */
export const haltReplySignal = defineSignal<[HaltOpResult]>('haltReply');
/** From clients (CLI, Web UI): hold / release and wait for the answer. */
export const holdUpdate = defineUpdate<HaltOpResult, [HoldRequest]>('hold');
export const releaseUpdate = defineUpdate<HaltOpResult, [ReleaseRequest]>('release');

/** weeklyDrillWorkflow: current step, steps so far with times, the timeline and RTO/RPO once known. */
export const weeklyDrillStatusQuery = defineQuery<WeeklyDrillStatus>('status');

/** The per-target drill lock (`drill-lock~<target>`, see src/workflows/drill-lock.ts). */
export const drillLockStatusQuery = defineQuery<DrillLockStatus>('status');
export const drillLockWhoSignal = defineSignal<[DrillLockWho]>('who');
export const drillLockReleaseSignal = defineSignal<[DrillLockRelease]>('release');
/** The lock's answer to `who`, sent to the asking drill. */
export const drillLockHolderSignal = defineSignal<[DrillLockHolder]>('drillLockHolder');

/** drillSignOffWorkflow (`drill-signoff~<target>~<drillId>`): the drill's sign-off. */
export const drillSignOffStatusQuery = defineQuery<DrillSignOffStatus>('status');
export const signOffUpdate = defineUpdate<SignOffRecord, [SignOffRequest]>('signOff');
