/** The ack timer, the alert watcher and the promotion gate: every boundary, both sides. */
import { ackScenario, alertWatchScenario, promotionScenario } from '../helpers/fault-scenarios';
import { workerKillMatrix } from './matrix';

workerKillMatrix('watch-ack-promotion', [ackScenario(1), alertWatchScenario, promotionScenario]);
