/**
 * Every signal, query and update, with stable wire names. The Web UI lists handlers by these names
 * and shows the description each workflow gives in `setHandler`.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AckRecord, AcknowledgeRequest, IncidentAckStatus } from '../domain/incident-ack';
import type { PromotionGateStatus } from '../domain/promotion';

/** Every workflow answers `status`; each narrows the type. */
export const incidentAckStatusQuery = defineQuery<IncidentAckStatus>('status');
export const acknowledgeUpdate = defineUpdate<AckRecord, [AcknowledgeRequest]>('acknowledge');

export const promotionGateStatusQuery = defineQuery<PromotionGateStatus>('status');
