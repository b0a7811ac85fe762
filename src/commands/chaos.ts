/**
 * `drill chaos --output results/chaos_drill_latest.json`: the runbook's `chaos_drill.py`, run
 * directly against a target (no workflow): seeded scenarios, each injected, detected within the
 * bound, cleared; the report written atomically. Exit 0 when every scenario was detected.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { runChaosDrill } from './chaos-drill';
import { chaosScenarioSchema, type ChaosDrillReport } from '../domain/drill';
import { writeFileAtomic } from '../io/files';
import { configuredTargetsFile, fileTargetResolver, targetsFilePath } from '../io/targets';
import { CHAOS_LATEST_FILE } from '../activities/reports';
import { targetNameSchema } from '../domain/ids';
import { checkFlag, checkNumberFlag } from './flags';
import { defaultTarget } from './run';
import { CommandError } from './output';

export interface ChaosCommandOptions {
  target?: string;
  output?: string;
  scenarios?: string;
  seed?: number;
  detectionSeconds?: number;
}

export async function chaosCommand(
  o: ChaosCommandOptions,
  deps: {
    config: Pick<Config, 'stateDir' | 'resultsDir' | 'temporal' | 'taskQueue' | 'uiPort'> & Partial<Pick<Config, 'targetEnvAllow'>>;
    env?: NodeJS.ProcessEnv;
  },
): Promise<{ report: ChaosDrillReport; output: string }> {
  checkFlag('--target', targetNameSchema, o.target);
  checkNumberFlag('--seed', o.seed, { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, int: true });
  checkNumberFlag('--detection-seconds', o.detectionSeconds, { min: 0, exclusiveMin: true, max: 3600, unit: 'seconds' });
  if (o.output !== undefined && !o.output.trim()) throw new CommandError('--output: expected a file name');
  const target = await defaultTarget(o.target, deps);
  const scenarios = o.scenarios
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const r = chaosScenarioSchema.safeParse(s);
      if (!r.success) throw new CommandError(`--scenarios: ${s}: ${r.error.issues[0]?.message}`);
      return r.data;
    });
  const env = deps.env ?? process.env;
  const file = configuredTargetsFile(env)
    ? targetsFilePath(env)
    : ([targetsFilePath({}), path.join(deps.config.stateDir, 'targets.json')].find((f) => fs.existsSync(f)) ?? targetsFilePath({}));
  const report = await runChaosDrill(
    { targets: fileTargetResolver(file), opsDir: path.join(deps.config.stateDir, 'ops'), envAllow: deps.config.targetEnvAllow ?? [] },
    {
      target,
      ...(scenarios ? { scenarios } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.detectionSeconds !== undefined ? { detectionSeconds: o.detectionSeconds } : {}),
    },
  );
  const output = path.resolve(o.output ?? path.join(deps.config.resultsDir, CHAOS_LATEST_FILE));
  await writeFileAtomic(output, `${JSON.stringify(report, null, 2)}\n`);
  return { report, output };
}
