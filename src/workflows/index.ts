/** The workflow bundle's entry: every workflow type the worker registers, by name. */
export { alertWatchWorkflow } from './alert-watch';
export { incidentWorkflow } from './incident';
export { incidentAckWorkflow } from './incident-ack';
export { promotionGateWorkflow } from './promotion-gate';
export { weeklyDrillWorkflow } from './weekly-drill';
export { recoveryWorkflow } from './recovery';
export { haltRegistryWorkflow } from './halt-registry';
export { drillTargetLockWorkflow } from './drill-lock';
// Worker Deployment Versioning behaviour of each workflow above (PINNED / AUTO_UPGRADE).
import './versioning';
