/** Where the CLI finds the targets file. */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { configuredTargetsFile, targetsFilePath } from '../io/targets';

export interface TargetsFileDeps {
  config: Pick<Config, 'stateDir'>;
  env?: NodeJS.ProcessEnv;
}

/** DRILL_TARGETS_FILE, else targets.json, else <state>/targets.json: the first that exists (as `drill run weekly`). */
export function findTargetsFile(deps: TargetsFileDeps): string | undefined {
  const env = deps.env ?? process.env;
  const candidates = [
    configuredTargetsFile(env) ? targetsFilePath(env) : undefined,
    targetsFilePath({}),
    path.join(deps.config.stateDir, 'targets.json'),
  ].filter((f): f is string => !!f);
  return candidates.find((f) => fs.existsSync(f));
}
