/**
 * What every `drill` command group (src/cli/*) shares: the output, the exit code, the configuration
 * loaded on first use, JSON-or-human printing, and the flag helpers (number flags, examples, the
 * `--json` help texts).
 */
import { InvalidArgumentError } from 'commander';
import { type Output } from '../commands/output';
import { loadConfig, type Config } from '../config';

/** Commander's parser for number flags: `abc` or an empty value is a usage error naming the flag, not NaN or 0. */
export function numberArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Every leaf command takes `--json`: stdout then carries exactly one JSON document (test/unit/cli-json.test.ts). */
export const JSON_HELP = 'print the result as JSON (one document on stdout; progress and human text on stderr)';
/** For the commands whose result was always JSON: the flag is accepted, the output is the same. */
export const JSON_ALWAYS_HELP = 'print the result as JSON (the default too)';

export interface CliContext {
  output: Output;
  setExit: (code: number) => void;
  /** The configuration, loaded (and validated) on first use: commands that need none never read it. */
  cfg: () => Config;
  /** With --json, human and progress lines go to stderr: stdout carries only the JSON document. */
  progressTo: (json: boolean | undefined) => Output;
  /** A command's result: one pretty-printed JSON document with --json, else its human lines. */
  print: (json: boolean | undefined, result: unknown, human: () => string | readonly string[]) => void;
}

export function createCliContext(output: Output, setExit: (code: number) => void): CliContext {
  let config: Config | undefined;
  return {
    output,
    setExit,
    cfg: () => (config ??= loadConfig()),
    progressTo: (json) => (json ? { out: (l) => output.err(l), err: (l) => output.err(l) } : output),
    print: (json, result, human) => {
      if (json) {
        output.out(JSON.stringify(result, null, 2));
        return;
      }
      const lines = human();
      for (const l of typeof lines === 'string' ? [lines] : lines) output.out(l);
    },
  };
}
