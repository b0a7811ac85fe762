/**
 * `--json` on every command (issue 13, item 4): the commander program as src/cli.ts builds it, walked
 * leaf by leaf. A new command without `--json` (or whose examples never show it) fails here.
 */
import type { Command } from 'commander';
import { buildProgram, main } from '../../src/cli';

interface Leaf {
  name: string;
  command: Command;
}

function leaves(command: Command, words: string[] = []): Leaf[] {
  if (command.commands.length === 0) return [{ name: words.join(' '), command }];
  return command.commands.flatMap((c) => leaves(c, [...words, c.name()]));
}

const program = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);
const all = leaves(program);

test('the walk finds every command (a sanity floor, not the list)', () => {
  const names = all.map((l) => l.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'dev',
      'worker',
      'run weekly',
      'target check',
      'schedule create',
      'schedule preview',
      'schedule delete',
      'chaos',
      'rehearse ack',
      'incident-ack',
      'triage',
      'incident list',
      'incident status',
      'watch start',
      'watch stop',
      'halt status',
      'ack-timer start',
      'sandbox start',
      'sandbox inject',
      'promote',
      'verify-bundle',
      'report index',
      'audit verify',
      'tools ensure',
      'tools where',
      'config',
    ]),
  );
  expect(names.length).toBeGreaterThanOrEqual(40);
});

test('every leaf command has a --json option', () => {
  const without = all.filter((l) => !l.command.options.some((o) => o.long === '--json')).map((l) => l.name);
  expect(without).toEqual([]);
});

test('every leaf command with examples in its help shows one with --json', async () => {
  const missing: string[] = [];
  for (const leaf of all) {
    const out: string[] = [];
    // Help goes through the program's output, as `drill <command> --help` prints it.
    const code = await main(['node', 'drill', ...leaf.name.split(' '), '--help'], { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(0);
    const help = out.join('\n');
    const examples = help.slice(help.indexOf('Examples:'));
    if (!help.includes('Examples:')) missing.push(`${leaf.name} (no examples)`);
    else if (!/\$ .*--json/.test(examples)) missing.push(leaf.name);
  }
  expect(missing).toEqual([]);
});
