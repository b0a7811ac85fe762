/** The ack timer, the alert watcher, the promotion gate and a drill's sign-off: every boundary, both sides. */
import { ackScenario, alertWatchScenario, promotionScenario, signOffScenario } from '../helpers/fault-scenarios';
import { workerKillMatrix } from './matrix';

workerKillMatrix('watch-ack-promotion', [ackScenario(1), alertWatchScenario, promotionScenario, signOffScenario]);
