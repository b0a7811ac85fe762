/**
 * `drill sandbox start|stop|status|inject|clear|target`: the paper-trading sandbox from the CLI.
 * Without `--config`, the config is `DRILL_SANDBOX_CONFIG` or `<DRILL_STATE_DIR>/sandbox/config.json`,
 * written with defaults (artifacts under DRILL_RESULTS_DIR/runs) the first time it is needed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readVariable, type Config } from '../config';
import { faultNameSchema, type ActiveFault, type FaultName, type TargetConfigInput } from '../domain/target';
import { loadSandboxConfig, SandboxConfigError } from '../sandbox/config';
import {
  SandboxControlError,
  sandboxFault,
  sandboxPort,
  sandboxStatus,
  sandboxTargetEntry,
  startSandbox,
  stopSandbox,
  writeSandboxConfig,
  type SandboxStatus,
  type StartResult,
  type StopResult,
} from '../sandbox/control';
import { checkNumberFlag } from './flags';
import { CommandError } from './output';

export interface SandboxCommandDeps {
  config: Pick<Config, 'stateDir' | 'resultsDir' | 'runsDir'>;
  env?: NodeJS.ProcessEnv;
}

/** The config file to use; writes the default one when neither a flag nor the env names one. */
export async function resolveSandboxConfigFile(flag: string | undefined, deps: SandboxCommandDeps): Promise<string> {
  const named = flag ?? readVariable('DRILL_SANDBOX_CONFIG', deps.env ?? process.env);
  if (named) {
    if (!fs.existsSync(named)) throw new CommandError(`--config: ${named} does not exist`);
    return path.resolve(named);
  }
  const file = path.join(deps.config.stateDir, 'sandbox', 'config.json');
  if (!fs.existsSync(file)) {
    await writeSandboxConfig(file, {
      runId: 'sandbox-paper',
      stateDir: '.',
      artifactsRoot: deps.config.runsDir,
      auditLogsDir: path.join(path.dirname(deps.config.resultsDir), 'audit_logs'),
    });
  }
  return file;
}

function wrap<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof SandboxControlError || err instanceof SandboxConfigError) throw new CommandError(err.message);
    throw err;
  });
}

export function sandboxStartCommand(
  o: { config?: string; wait?: boolean; timeoutSeconds?: number },
  deps: SandboxCommandDeps,
): Promise<StartResult & { configFile: string }> {
  return wrap(async () => {
    checkNumberFlag('--timeout', o.timeoutSeconds, { min: 0, exclusiveMin: true, max: 3600, unit: 'seconds' });
    const configFile = await resolveSandboxConfigFile(o.config, deps);
    const r = await startSandbox({ configFile, wait: o.wait ?? true, timeoutMs: (o.timeoutSeconds ?? 30) * 1000 });
    return { ...r, configFile };
  });
}

export function sandboxStopCommand(o: { config?: string; signal?: boolean; timeoutSeconds?: number }, deps: SandboxCommandDeps): Promise<StopResult> {
  return wrap(async () => {
    checkNumberFlag('--timeout', o.timeoutSeconds, { min: 0, exclusiveMin: true, max: 3600, unit: 'seconds' });
    const configFile = await resolveSandboxConfigFile(o.config, deps);
    const r = await stopSandbox({ configFile, via: o.signal ? 'signal' : 'control', timeoutMs: (o.timeoutSeconds ?? 30) * 1000 });
    if (!r.stopped) throw new CommandError(`sandbox pid ${r.pid} did not stop within ${o.timeoutSeconds ?? 30} s`, 1);
    return r;
  });
}

export function sandboxStatusCommand(o: { config?: string }, deps: SandboxCommandDeps): Promise<SandboxStatus> {
  return wrap(async () => sandboxStatus({ configFile: await resolveSandboxConfigFile(o.config, deps) }));
}

export function parseFaultName(v: string): FaultName {
  const r = faultNameSchema.safeParse(v);
  if (!r.success) throw new CommandError(`fault: ${r.error.issues[0]?.message}`);
  return r.data;
}

export function sandboxInjectCommand(
  o: { config?: string; fault: string; seconds?: number },
  deps: SandboxCommandDeps,
): Promise<{ faults: ActiveFault[]; changed: boolean }> {
  return wrap(async () => {
    const fault = parseFaultName(o.fault);
    checkNumberFlag('--seconds', o.seconds, { min: 0, max: 3600, unit: 'seconds' });
    return sandboxFault(
      { configFile: await resolveSandboxConfigFile(o.config, deps) },
      { action: 'inject', fault, ...(o.seconds !== undefined ? { seconds: o.seconds } : {}) },
    );
  });
}

export function sandboxClearCommand(o: { config?: string; fault: string }, deps: SandboxCommandDeps): Promise<{ faults: ActiveFault[]; changed: boolean }> {
  return wrap(async () => {
    const fault = o.fault === 'all' ? 'all' : parseFaultName(o.fault);
    return sandboxFault({ configFile: await resolveSandboxConfigFile(o.config, deps) }, { action: 'clear', fault });
  });
}

/** The targets-file entry for this sandbox (start it once first if its port is chosen at start). */
export function sandboxTargetCommand(o: { config?: string; name?: string }, deps: SandboxCommandDeps): Promise<{ targets: Record<string, TargetConfigInput> }> {
  return wrap(async () => {
    const config = loadSandboxConfig(await resolveSandboxConfigFile(o.config, deps));
    const port = sandboxPort(config);
    if (!port) throw new CommandError('the sandbox port is chosen at its first start: run `drill sandbox start` first, or set "port" in its config', 1);
    return { targets: { [o.name ?? 'sandbox']: sandboxTargetEntry(config, port) } };
  });
}
