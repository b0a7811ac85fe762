/**
 * Every signal, query and update, with stable wire names. The Web UI lists handlers by these names
 * and shows the description each workflow gives in `setHandler`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { WeeklyDrillStatus } from '../domain/drill';
import type { AckRecord, AcknowledgeRequest, IncidentAckStatus, ResolveRequest } from '../domain/incident-ack';
import type { ForceResumeRequest, IncidentStatus, OperatorAction, ReclassifyRequest } from '../domain/incident';
import type { RecoveryStatus } from '../domain/recovery';
import type { TriageReport } from '../domain/triage';
import type { AlertWatchStatus, StopWatchRequest } from '../domain/watch';
import type { PromotionGateStatus } from '../domain/promotion';

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

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('status');

/** weeklyDrillWorkflow: current step, steps so far with times, the timeline and RTO/RPO once known. */
export const weeklyDrillStatusQuery = defineQuery<WeeklyDrillStatus>('status');
