/** The workflow bundle's entry: every workflow type the worker registers, by name. */
export { incidentAckWorkflow } from './incident-ack';
export { promotionGateWorkflow } from './promotion-gate';
