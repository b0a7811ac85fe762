/**
 * Incidents through each recovery branch (broker, reconciliation, data quality, escalation), with their
 * recovery, halt-registry and ack-timer children: every boundary, both sides; a boundary the branches
 * share is faulted in the first branch that crosses it.
 */
import { incidentBrokerScenario, incidentDataQualityScenario, incidentEscalatedScenario, incidentReconciliationScenario } from '../helpers/fault-scenarios';
import { workerKillMatrix } from './matrix';

workerKillMatrix('incident', [incidentBrokerScenario, incidentReconciliationScenario, incidentDataQualityScenario, incidentEscalatedScenario], {
  shareKillPoints: true,
});
