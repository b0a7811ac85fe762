/**
 * All activities, built from their dependencies. Workflows see them only as types:
 * `proxyActivities<Activities>()`.
 */
import type { Config } from '../config';
import { createArtifactActivities } from './artifacts';
import { createPagingActivities } from './paging';

export interface ActivityDeps {
  config: Pick<Config, 'paging' | 'runsDir'>;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPagingActivities(deps.config.paging),
    ...createArtifactActivities(deps.config.runsDir),
  };
}

export type Activities = ReturnType<typeof createActivities>;
