/** Weekly drill: kill -9 of the worker on both sides of every activity boundary the drill crosses. */
import { drillScenario } from '../helpers/fault-scenarios';
import { workerKillMatrix } from './matrix';

workerKillMatrix('drill', [drillScenario]);
