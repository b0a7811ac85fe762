/**
 * The `drill` command. Each subcommand is a function in `src/commands/` that returns data; only
 * this entry maps errors to exit codes: 0 ok, 1 the thing checked failed (or is unknown), 2 error
 * (bad input, no server, misconfiguration).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ackTimerResolve, ackTimerStart, ackTimerStatus } from './commands/ack-timer';
import { auditVerify } from './commands/audit';
import { chaosCommand } from './commands/chaos';
import { devSummary, runDevDrill, startDev } from './commands/dev';
import { incidentList, incidentStatus } from './commands/incident';
import { ACK_RECORDED_IN_FILE_EXIT, describeAck, incidentAckCommand } from './commands/incident-ack';
import { checkNumberFlag } from './commands/flags';
import { CommandError, processOutput, type Output } from './commands/output';
import { describeVerification, promoteCommand, verifyBundleCommand } from './commands/promote';
import { describeDrillResult, runWeeklyCommand, type RunWeeklyOutcome } from './commands/run';
import { targetCheckCommand, weeklyDryRunCommand, type TargetCheckOutcome } from './commands/target-check';
import { scheduleCommand, schedulePreviewCommand, type ScheduleAction } from './commands/schedule';
import { describePreview } from './client/schedule-placement';
import { rehearseAckCommand, rehearseRecoveryCommand } from './commands/rehearse';
import {
  sandboxClearCommand,
  sandboxInjectCommand,
  sandboxStartCommand,
  sandboxStatusCommand,
  sandboxStopCommand,
  sandboxTargetCommand,
} from './commands/sandbox';
import { describeToolsWhere, toolsEnsure, toolsWhere } from './commands/tools';
import { triageCommand } from './commands/triage';
import { watchStart, watchStop } from './commands/watch';
import { describeHaltResult, describeHaltStatus, haltHold, haltRelease, haltStatus } from './commands/halt';
import { describeEvidenceExport, evidenceExport } from './commands/evidence';
import { describeSignOff, describeSignOffStatus, signOffCommand, signOffStatusCommand } from './commands/sign-off';
import { TemporalTimeoutError } from './client/connection';
import { ConfigError, loadConfig, type Config } from './config';
import { describeSettings, formatSettings } from './commands/config-report';
import { writeDrillIndex } from './activities/reports';
import { describeConformance } from './domain/conformance';
import { renderVerdictTable } from './report/promotion-verdict';
import { renderAckRehearsal, renderRecoveryRehearsal } from './domain/rehearsal';
import { describeTriage } from './domain/triage';
import { createLogger } from './logger';
import { runWorker } from './worker';

/** Commander's parser for number flags: `abc` or an empty value is a usage error naming the flag, not NaN or 0. */
function numberArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Every leaf command takes `--json`: stdout then carries exactly one JSON document (test/unit/cli-json.test.ts). */
const JSON_HELP = 'print the result as JSON (one document on stdout; progress and human text on stderr)';
/** For the commands whose result was always JSON: the flag is accepted, the output is the same. */
const JSON_ALWAYS_HELP = 'print the result as JSON (the default too)';

export function buildProgram(output: Output, setExit: (code: number) => void): Command {
  let config: Config | undefined;
  const cfg = (): Config => (config ??= loadConfig());
  const program = new Command('drill')
    .description('drill-runner: the DR and incident runbook of a trading operation as durable Temporal workflows')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride();

  /** With --json, human and progress lines go to stderr: stdout carries only the JSON document. */
  const progressTo = (json: boolean | undefined): Output => (json ? { out: (l) => output.err(l), err: (l) => output.err(l) } : output);
  /** A command's result: one pretty-printed JSON document with --json, else its human lines. */
  const print = (json: boolean | undefined, result: unknown, human: () => string | readonly string[]): void => {
    if (json) {
      output.out(JSON.stringify(result, null, 2));
      return;
    }
    const lines = human();
    for (const l of typeof lines === 'string' ? [lines] : lines) output.out(l);
  };

  program
    .command('dev')
    .description(
      'Start the embedded Temporal dev server (Web UI, SQLite state), a worker and a paper-trading sandbox target; with --drill, run one full weekly drill; Ctrl-C stops them',
    )
    .option('--headless', 'no Web UI')
    .option('--no-worker', 'server only')
    .option('--no-sandbox', 'do not start the sandbox target')
    .option('--drill', 'run one full weekly drill against the sandbox, print the report path and UI link, keep serving')
    .option('--exit-after-drill', "with --drill: exit with the drill's code (0 pass, 1 fail, 2 error) instead of serving on")
    .option(
      '--json',
      'progress on stderr; once up (with --drill: after the drill) one JSON line on stdout: server address, UI links, task queue, target, sandbox, drill result',
    )
    .addHelpText(
      'after',
      examples(
        'drill dev',
        'drill dev --drill',
        'drill dev --drill --exit-after-drill --headless',
        'TEMPORAL_ADDRESS=127.0.0.1:7300 DRILL_UI_PORT=8300 drill dev',
        'drill dev --json 2>dev.log | head -1 | jq .address',
      ),
    )
    .action(async (o: { headless?: boolean; worker: boolean; sandbox: boolean; drill?: boolean; exitAfterDrill?: boolean; json?: boolean }) => {
      const c = cfg();
      const logger = createLogger({ level: c.log.level, pretty: c.log.pretty });
      const say = progressTo(o.json);
      const session = await startDev({ headless: o.headless, worker: o.worker, sandbox: o.sandbox }, { config: c, logger, output: say });
      let drill: RunWeeklyOutcome | { error: string } | undefined;
      let code = 0;
      if (o.drill) {
        try {
          drill = await runDevDrill(session, { config: c, output: say });
          code = drill.exitCode;
        } catch (err) {
          say.err(`drill: ${(err as Error).message}`);
          drill = { error: (err as Error).message };
          code = 2;
        }
      }
      // A long-running command: one line, so a reader of the still-open stdout knows the document is whole.
      if (o.json) output.out(JSON.stringify(devSummary(session, { config: c, worker: o.worker, ...(drill ? { drill } : {}) })));
      if (o.drill && o.exitAfterDrill) {
        await session.stop();
        setExit(code);
        return;
      }
      say.out('ready. Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          say.out('stopping...');
          void session.stop().then(resolve);
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        void session.done.then(resolve);
      });
      say.out('stopped.');
    });

  const run = program.command('run').description('Run a runbook procedure now');
  run
    .command('weekly')
    .description(
      'Run the weekly DR drill (weeklyDrillWorkflow) now: chaos, graceful stop, restart, verify, RTO/RPO, report. Exit 0 pass, 1 fail, 2 error/aborted',
    )
    .option('--target <name>', 'target from the targets file (default: the only one)')
    .option('--watch', 'print the steps as they happen')
    .option('--drill-id <id>', 'drill id (default: the start time, e.g. 20261125T030000Z)')
    .option('--input <json>', 'extra drill input: scenarios, seed, rtoSeconds, rpoSeconds, bounds')
    .option('--allow-live', 'allow drilling a live target')
    .option(
      '--dry-run',
      'start nothing: validate the input and check, read-only, every contract surface the drill would use (exit 0 conforms, 1 a check failed)',
    )
    .option('--json', 'print the result (with --dry-run: the checks) as JSON')
    .addHelpText(
      'after',
      examples(
        'drill run weekly --target paper-1 --watch',
        'drill run weekly --input \'{"scenarios":["stale_data","order_drift"],"rtoSeconds":600}\'',
        'drill run weekly --target paper-1 --dry-run',
        'drill run weekly --target paper-1 --json',
      ),
    )
    .action(async (o: { target?: string; watch?: boolean; drillId?: string; input?: string; allowLive?: boolean; dryRun?: boolean; json?: boolean }) => {
      if (o.dryRun) return printConformance(await weeklyDryRunCommand(o, { config: cfg() }), o.json);
      const r = await runWeeklyCommand(o, { config: cfg(), output: progressTo(o.json) });
      if (o.json) output.out(JSON.stringify({ workflowId: r.workflowId, exitCode: r.exitCode, ...r.result }, null, 2));
      else for (const l of describeDrillResult(r.result)) output.out(l);
      setExit(r.exitCode);
    });

  /** `drill target check` and `drill run weekly --dry-run`: one line per check (or JSON); exit 1 on any fail. */
  const printConformance = (r: TargetCheckOutcome, json: boolean | undefined): void => {
    if (json) output.out(JSON.stringify(r.report, null, 2));
    else for (const l of describeConformance(r.report)) output.out(l);
    setExit(r.exitCode);
  };
  const targetCmd = program.command('target').description('The targets of the targets file (DRILL_TARGETS_FILE)');
  targetCmd
    .command('check')
    .description(
      'Check, read-only, that a target honours every contract surface the weekly drill uses: commands, health, gateway, state file and digest, artifacts, fault declarations. Exit 0 conforms, 1 a check failed, 2 bad input',
    )
    .option('--target <name>', 'target from the targets file (default: the only one)')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', examples('drill target check --target paper-1', 'drill target check --target paper-1 --json'))
    .action(async (o: { target?: string; json?: boolean }) => printConformance(await targetCheckCommand(o, { config: cfg() }), o.json));

  const schedule = program.command('schedule').description("The weekly drill's Temporal Schedule per target (overlap SKIP, catch-up window)");
  const scheduleAction = (action: ScheduleAction, description: string, extra: (c: Command) => Command, ...ex: string[]) => {
    const cmd = schedule.command(action).description(description).requiredOption('--target <name>', 'target the schedule drills');
    extra(cmd)
      .option('--json', JSON_ALWAYS_HELP)
      .addHelpText('after', examples(...ex, `${ex[0]} --json`))
      .action(async (o: { target: string }) => {
        output.out(JSON.stringify(await scheduleCommand(action, o, { config: cfg() }), null, 2));
      });
  };
  scheduleAction(
    'create',
    'Create the weekly drill schedule (idempotent: an existing one is updated to this spec). A target with a market calendar is placed on it: the first allowed time after its drillSlot each week, as Temporal calendars with skips',
    (c) =>
      c
        .option('--day <day>', 'day of week (default SUNDAY; not with a market calendar)')
        .option('--at <HH:MM>', 'time of day (default 03:00; not with a market calendar)')
        .option('--timezone <tz>', 'IANA time zone (default UTC; not with a market calendar)')
        .option('--catchup-window <seconds>', 'missed runs are still taken within this window', numberArg, 86400)
        .option('--input <json>', 'extra drill input for every run')
        .option('--note <text>', 'note shown in the UI')
        .option('--horizon-days <n>', 'market calendar: days of dated exceptions (moved and skipped weeks) to encode', numberArg, 370),
    'drill schedule create --target paper-1',
    'drill schedule create --target paper-1 --day SATURDAY --at 02:30 --timezone Europe/London',
    'drill schedule create --target live-k8s   # on its market calendar',
  );
  scheduleAction('describe', 'Show the schedule: spec, next runs, recent and running drills', (c) => c, 'drill schedule describe --target paper-1');
  schedule
    .command('preview')
    .description(
      'List the coming runs as the Temporal server computes them (ListScheduleMatchingTimes and describe), each with why it moved, the weeks the market calendar blocks, and whether the server agrees with the calendar placement (exit 1 when it does not)',
    )
    .requiredOption('--target <name>', 'target the schedule drills')
    .option('--next <n>', 'how many runs', numberArg, 10)
    .option('--json', 'print the preview as JSON')
    .addHelpText('after', examples('drill schedule preview --target live-k8s --next 10', 'drill schedule preview --target live-k8s --json'))
    .action(async (o: { target: string; next: number; json?: boolean }) => {
      const p = await schedulePreviewCommand(o, { config: cfg() });
      if (o.json) output.out(JSON.stringify(p, null, 2));
      else for (const l of describePreview(p)) output.out(l);
      if (p.agrees === false) setExit(1);
    });
  scheduleAction('pause', 'Pause the schedule', (c) => c.option('--note <text>', 'why'), 'drill schedule pause --target paper-1 --note "maintenance"');
  scheduleAction('unpause', 'Unpause the schedule', (c) => c.option('--note <text>', 'why'), 'drill schedule unpause --target paper-1');
  scheduleAction('trigger', 'Run a drill now through the schedule (skipped while one is running)', (c) => c, 'drill schedule trigger --target paper-1');
  scheduleAction(
    'backfill',
    'Take the runs the schedule would have taken in a past window',
    (c) => c.requiredOption('--start <iso>', 'window start').requiredOption('--end <iso>', 'window end'),
    'drill schedule backfill --target paper-1 --start 2026-11-01T00:00:00Z --end 2026-11-08T00:00:00Z',
  );
  scheduleAction('delete', 'Delete the schedule (running drills continue)', (c) => c, 'drill schedule delete --target paper-1');

  program
    .command('chaos')
    .description(
      "The runbook's deterministic chaos drill (chaos_drill.py) against a target, without a workflow: inject, detect, clear; writes the report. Exit 1 when a scenario is not detected",
    )
    .option('--target <name>', 'target from the targets file (default: the only one)')
    .option('--output <file>', 'report file', 'results/chaos_drill_latest.json')
    .option(
      '--scenarios <list>',
      'comma-separated: stale_data, corrupt_bars, order_drift, position_drift, broker_disconnect, websocket_silence, state_saves_stop',
    )
    .option('--seed <n>', 'orders the scenarios', numberArg)
    .option('--detection-seconds <n>', 'detection bound per scenario', numberArg)
    .option('--json', `${JSON_HELP}: { report, output }`)
    .addHelpText(
      'after',
      examples(
        'drill chaos --output results/chaos_drill_latest.json',
        'drill chaos --target paper-1 --scenarios stale_data,order_drift --seed 7',
        'drill chaos --target paper-1 --json',
      ),
    )
    .action(async (o: { target?: string; output?: string; scenarios?: string; seed?: number; detectionSeconds?: number; json?: boolean }) => {
      const r = await chaosCommand(o, { config: cfg() });
      print(o.json, r, () => [
        ...r.report.scenarios.map(
          (sc) =>
            `${sc.scenario.padEnd(18)} ${sc.detected ? `detected in ${sc.detectionSeconds?.toFixed(2)} s via ${sc.signal}` : 'NOT DETECTED'}${sc.recovered === false ? ', did not recover' : ''}`,
        ),
        ...(r.report.skipped ?? []).map((sk) => `${sk.scenario.padEnd(18)} skipped: ${sk.reason}`),
        `${r.report.status === 'skipped' ? 'SKIPPED (nothing injected)' : r.report.passed ? 'passed' : 'FAILED'}; report: ${r.output}`,
      ]);
      // Skipped (nothing injected) is neither a pass nor a failure: exit 3.
      if (r.report.status === 'skipped') setExit(3);
      else if (!r.report.passed) setExit(1);
    });

  const rehearse = program
    .command('rehearse')
    .description(
      'Rehearse escalation without waking anyone: the real workflows on a private time-skipping server started by the command, pages into a loopback recorder; nothing leaves the machine',
    );
  rehearse
    .command('ack')
    .description(
      'Run incidentAckWorkflow with an escalation policy and print who would be paged at which minute, with which dedup key, and what an ack at a given minute changes',
    )
    .option(
      '--policy <file>',
      'escalation policy JSON: { "levels": [{ "name", "afterSeconds" }], "repeats" } (default: the configured one, as incidents start their ack timer)',
    )
    .option('--ack-at <duration>', 'acknowledge at this time after the incident opened, e.g. 20m')
    .option('--severity <severity>', 'critical or warning (paging honours SLO_PAGING_MIN_SEVERITY)', 'critical')
    .option('--watch <duration>', 'after the last escalation (or the ack), keep watching the recorder this long', '15m')
    .option('--json', 'print the rehearsal as JSON')
    .addHelpText(
      'after',
      examples('drill rehearse ack', 'drill rehearse ack --policy policy.json', 'drill rehearse ack --policy policy.json --ack-at 20m --json'),
    )
    .action(async (o: { policy?: string; ackAt?: string; severity?: string; watch?: string; json?: boolean }) => {
      const r = await rehearseAckCommand(o, { config: cfg() });
      if (o.json) output.out(JSON.stringify(r, null, 2));
      else for (const l of renderAckRehearsal(r)) output.out(l);
    });
  rehearse
    .command('recovery')
    .description(
      'Run recoveryWorkflow for an incident class against a simulated target that does not recover (or recovers at --recover-at): when the maximum wait runs out, what is paged then',
    )
    .requiredOption('--class <class>', 'data_quality, reconciliation or broker_connectivity')
    .option('--max-wait <duration>', "the branch's maximum wait (default: the workflow's, as incidents start it)")
    .option('--cycle <duration>', "time between probes (default: the workflow's)")
    .option('--recover-at <duration>', 'the simulated target is clean from this time on')
    .option('--json', 'print the rehearsal as JSON')
    .addHelpText(
      'after',
      examples(
        'drill rehearse recovery --class reconciliation',
        'drill rehearse recovery --class broker_connectivity --recover-at 12m',
        'drill rehearse recovery --class data_quality --max-wait 45m --json',
      ),
    )
    .action(async (o: { class: string; maxWait?: string; cycle?: string; recoverAt?: string; json?: boolean }) => {
      const r = await rehearseRecoveryCommand(o, { config: cfg() });
      if (o.json) output.out(JSON.stringify(r, null, 2));
      else for (const l of renderRecoveryRehearsal(r)) output.out(l);
    });

  program
    .command('worker')
    .description('Run a worker on the configured Temporal server and task queue')
    .option('--json', 'once the worker polls, one JSON line on stdout: task queue, namespace, address, version, health URL (logs stay on stderr)')
    .addHelpText('after', examples('TEMPORAL_ADDRESS=temporal.internal:7233 drill worker', 'drill worker --json'))
    .action(async (o: { json?: boolean }) => {
      const c = cfg();
      // A long-running command: one line, so a reader of the still-open stdout knows the document is whole.
      await runWorker(c, createLogger({ level: c.log.level, pretty: c.log.pretty }), o.json ? (started) => output.out(JSON.stringify(started)) : undefined);
    });

  program
    .command('incident-ack')
    .description(
      "Acknowledge an incident (the runbook's incident_ack.py): ack its timer (found by run and incident id) and record incident_ack in the run's incident_events.jsonl. " +
        `Exit 0: the ack timer acknowledged; ${ACK_RECORDED_IN_FILE_EXIT}: recorded in the run file only (server down, no worker, no timer) - every timer takes it from there before its next page; 1: unknown incident / not recorded; 2: bad input or several timers match`,
    )
    .requiredOption('--run-id <run_id>', 'run whose artifacts hold the incident (results/runs/<run_id>/)')
    .requiredOption('--incident-id <id>', 'incident id from incident_events.jsonl (event_type=incident_open)')
    .requiredOption('--ack-by <oncall>', 'who acknowledges (printable, at most 128 characters)')
    .option('--notes <text>', 'concise notes, with mitigation status')
    .option('--workflow-id <id>', 'ack this timer (when several match the run and incident id)')
    .option('--timeout <seconds>', 'how long the ack timer may take to answer', numberArg, 15)
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      examples(
        'drill incident-ack --run-id paper-2026-11-25 --incident-id inc-42 --ack-by alice --notes "entries halted, reconciling"',
        'drill incident-ack --run-id paper-2026-11-25 --incident-id inc-42 --ack-by alice --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string; ackBy: string; notes?: string; workflowId?: string; timeout: number; json?: boolean }) => {
      checkNumberFlag('--timeout', o.timeout, { min: 0, exclusiveMin: true, max: 3600, unit: 'seconds' });
      const r = await incidentAckCommand(o, { config: cfg(), output: progressTo(o.json), timeoutMs: o.timeout * 1000 });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeAck(r, o.incidentId));
      if (r.via === 'file') setExit(ACK_RECORDED_IN_FILE_EXIT);
    });

  program
    .command('triage')
    .description(
      'The runbook\'s "First 5 Minutes" for a run: kill switch, last SLO breach, ack status, reconciliation and data quality snapshots, broker health, incident class with reasons (no running incident needed)',
    )
    .requiredOption('--run-id <run_id>', 'run whose artifacts to read (results/runs/<run_id>/)')
    .option('--target <name>', 'target in the targets file (default: the one with this run id, else the only one)')
    .option('--incident-id <id>', 'incident to report the ack status of')
    .option('--write', 'also write the report to <run folder>/triage/<incident-id|adhoc>.json')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      examples(
        'drill triage --run-id paper-2026-11-25',
        'drill triage --run-id paper-2026-11-25 --incident-id inc-42 --json',
        'DRILL_TARGETS_FILE=targets.json drill triage --run-id paper-2026-11-25 --target paper-sandbox --write',
      ),
    )
    .action(async (o: { runId: string; target?: string; incidentId?: string; write?: boolean; json?: boolean }) => {
      const r = await triageCommand(o, { config: cfg() });
      print(o.json, r.report, () => [describeTriage(r.report)]);
      if (r.path) progressTo(o.json).out(`report: ${r.path}`);
    });

  const incident = program.command('incident').description('Incidents run by incidentWorkflow (triage, halt, recovery, resume)');
  incident
    .command('list')
    .description('Incident workflows (optionally of one run) with state and class, as JSON')
    .option('--run-id <run_id>', 'only this run')
    .option('--open', 'only running ones')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText('after', examples('drill incident list', 'drill incident list --run-id paper-2026-11-25 --open', 'drill incident list --open --json'))
    .action(async (o: { runId?: string; open?: boolean }) => {
      output.out(JSON.stringify(await incidentList(o, { config: cfg() }), null, 2));
    });
  incident
    .command('status')
    .description("One incident's live status: phase, class and reasons, recovery attempt, re-halts, operator actions, timeline (JSON; exit 1 when unknown)")
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText(
      'after',
      examples(
        'drill incident status --run-id paper-2026-11-25 --incident-id inc-42',
        'drill incident status --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string }) => {
      output.out(JSON.stringify(await incidentStatus(o, { config: cfg() }), null, 2));
    });

  const watch = program
    .command('watch')
    .description('The alert watcher of a run (alertWatchWorkflow): tails the artifacts and audit logs, records SLO breaches, opens incidents');
  watch
    .command('start')
    .description("Start the run's watcher (idempotent: one per run)")
    .requiredOption('--run-id <run_id>', 'run id')
    .option('--target <name>', 'target in the targets file (default: the one with this run id, else the only one)')
    .option('--interval <seconds>', 'seconds between watcher cycles (default 30, at least 1)', numberArg)
    .option('--incident-cycle <seconds>', 'seconds between recovery probes of each incident it opens (default 30, at least 1)', numberArg)
    .option('--max-wait <seconds>', 'recovery wait before an incident escalates (default 1800)', numberArg)
    .option('--ack-sla <seconds>', 'acknowledgment SLA of each incident (default 900)', numberArg)
    .option('--evidence-window <seconds>', 'breaches older than this before an incident opened do not decide its class (default 900)', numberArg)
    .option('--json', `${JSON_HELP}: { workflowId, runId, target }`)
    .addHelpText(
      'after',
      examples(
        'drill watch start --run-id paper-2026-11-25',
        'drill watch start --run-id paper-2026-11-25 --target paper-sandbox --interval 10 --incident-cycle 5 --max-wait 900 --ack-sla 600',
        'drill watch start --run-id paper-2026-11-25 --json',
      ),
    )
    .action(
      async (o: {
        runId: string;
        target?: string;
        interval?: number;
        incidentCycle?: number;
        maxWait?: number;
        ackSla?: number;
        evidenceWindow?: number;
        json?: boolean;
      }) => {
        const r = await watchStart(
          {
            runId: o.runId,
            target: o.target,
            intervalSeconds: o.interval,
            incident: { cycleSeconds: o.incidentCycle, maxWaitSeconds: o.maxWait, ackSlaSeconds: o.ackSla, evidenceWindowSeconds: o.evidenceWindow },
          },
          { config: cfg() },
        );
        print(o.json, r, () => `watching run ${o.runId} (target ${r.target}): workflow ${r.workflowId}`);
      },
    );
  watch
    .command('stop')
    .description("Stop the run's watcher after its current cycle (running incidents go on)")
    .requiredOption('--run-id <run_id>', 'run id')
    .option('--reason <text>', 'why')
    .option('--by <identity>', 'who')
    .option('--json', `${JSON_HELP}: { workflowId }`)
    .addHelpText(
      'after',
      examples('drill watch stop --run-id paper-2026-11-25 --reason "run ended" --by alice', 'drill watch stop --run-id paper-2026-11-25 --json'),
    )
    .action(async (o: { runId: string; reason?: string; by?: string; json?: boolean }) => {
      const r = await watchStop(o, { config: cfg() });
      print(o.json, r, () => `stop sent to ${r.workflowId}`);
    });

  const halt = program
    .command('halt')
    .description("Halts with owners: who holds a target's entries halted (incidents, drills, operators); entries resume only when no holder is left");
  halt
    .command('status')
    .description("The holders of a target's halt and the kill switch as last seen (exit 1 when the target has no registry yet)")
    .requiredOption('--target <name>', 'target in the targets file')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('drill halt status --target paper-1', 'drill halt status --target paper-1 --json'))
    .action(async (o: { target: string; json?: boolean }) => {
      const s = await haltStatus(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(s, null, 2) : describeHaltStatus(s));
    });
  halt
    .command('hold')
    .description('Hold entries halted as an operator (holder operator:<id>); answers once the kill switch is halted')
    .requiredOption('--target <name>', 'target in the targets file')
    .requiredOption('--by <identity>', 'who holds')
    .requiredOption('--reason <text>', "why (shown in the kill switch's halt reason)")
    .option('--id <id>', 'holder id (default: --by), e.g. a ticket')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'drill halt hold --target paper-1 --by alice --reason "broker maintenance window"',
        'drill halt hold --target paper-1 --by alice --id CHG-1234 --reason "venue migration"',
        'drill halt hold --target paper-1 --by alice --reason "broker maintenance window" --json',
      ),
    )
    .action(async (o: { target: string; by: string; reason: string; id?: string; json?: boolean }) => {
      const r = await haltHold(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeHaltResult(r));
    });
  halt
    .command('release')
    .description('Release a hold (default your own, operator:<by>); entries resume only if no other holder is left')
    .requiredOption('--target <name>', 'target in the targets file')
    .requiredOption('--by <identity>', 'who releases')
    .requiredOption('--reason <text>', 'why')
    .option('--holder <kind:id>', 'another holder (e.g. a stuck incident: incident:<run>/<incident>), as `drill halt status` lists it')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'drill halt release --target paper-1 --by alice --reason "maintenance done"',
        'drill halt release --target paper-1 --by alice --holder incident:paper-1/inc-7 --reason "incident workflow terminated by mistake"',
        'drill halt release --target paper-1 --by alice --reason "maintenance done" --json',
      ),
    )
    .action(async (o: { target: string; by: string; reason: string; holder?: string; json?: boolean }) => {
      const r = await haltRelease(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeHaltResult(r));
    });

  const timer = program.command('ack-timer').description("Start, inspect or resolve an incident's acknowledgment timer (incidentAckWorkflow)");
  timer
    .command('start')
    .description('Start the 15-minute ack timer for an incident (idempotent: one timer per incident)')
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .addOption(new Option('--severity <severity>', 'incident severity').choices(['critical', 'warning']).default('critical'))
    .option('--sla <seconds>', 'ack SLA in seconds (runbook: 900)', numberArg)
    .option('--resolve-sla <seconds>', 'escalate again when still unresolved this long after opening', numberArg)
    .option('--opened-at <iso>', 'when the incident opened (default: now; not in the future)')
    .option('--summary <text>', 'one line for the page and the UI')
    .option('--json', `${JSON_HELP}: { workflowId, runId }`)
    .addHelpText(
      'after',
      examples(
        'drill ack-timer start --run-id paper-2026-11-25 --incident-id inc-42 --severity critical',
        'drill ack-timer start --run-id paper-2026-11-25 --incident-id inc-42 --resolve-sla 14400',
        'drill ack-timer start --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(
      async (o: {
        runId: string;
        incidentId: string;
        severity: 'critical' | 'warning';
        sla?: number;
        resolveSla?: number;
        openedAt?: string;
        summary?: string;
        json?: boolean;
      }) => {
        const r = await ackTimerStart(
          {
            runId: o.runId,
            incidentId: o.incidentId,
            severity: o.severity,
            ...(o.sla !== undefined ? { ackSlaSeconds: o.sla } : {}),
            ...(o.resolveSla !== undefined ? { resolveSlaSeconds: o.resolveSla } : {}),
            ...(o.openedAt !== undefined ? { openedAt: o.openedAt } : {}),
            ...(o.summary !== undefined ? { summary: o.summary } : {}),
          },
          { config: cfg() },
        );
        print(o.json, r, () => `ack timer running: workflow ${r.workflowId} (run ${r.runId})`);
      },
    );
  timer
    .command('status')
    .description(
      "Show the timer's state, escalation level, pages, lifecycle events and SLA verdict as JSON (found by run and incident id; exit 1 when none, 2 when several)",
    )
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .option('--workflow-id <id>', 'this timer (when several match)')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText(
      'after',
      examples(
        'drill ack-timer status --run-id paper-2026-11-25 --incident-id inc-42',
        'drill ack-timer status --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string; workflowId?: string }) => {
      output.out(JSON.stringify(await ackTimerStatus(o, { config: cfg() }), null, 2));
    });
  timer
    .command('resolve')
    .description('Tell the timer the incident is resolved: it stops escalating and sends resolve to what it paged (incidentWorkflow does this itself)')
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .option('--resolution <text>', 'e.g. recovered')
    .option('--by <identity>', 'who')
    .option('--workflow-id <id>', 'this timer (when several match)')
    .option('--json', `${JSON_HELP}: { workflowId }`)
    .addHelpText(
      'after',
      examples(
        'drill ack-timer resolve --run-id paper-2026-11-25 --incident-id inc-42 --resolution recovered --by alice',
        'drill ack-timer resolve --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string; resolution?: string; by?: string; workflowId?: string; json?: boolean }) => {
      const r = await ackTimerResolve(o, { config: cfg() });
      print(o.json, r, () => `resolve sent to ack timer ${r.workflowId}`);
    });

  const sandbox = program
    .command('sandbox')
    .description('The paper-trading sandbox: a real target process with deterministic fault injection (docs/target-contract.md)');
  const sandboxConfigOpt = () =>
    new Option('--config <file>', 'sandbox config file (default: DRILL_SANDBOX_CONFIG, else <DRILL_STATE_DIR>/sandbox/config.json, created with defaults)');
  sandbox
    .command('start')
    .description('Start the sandbox detached (pid file in its state dir); waits until it serves')
    .addOption(sandboxConfigOpt())
    .option('--no-wait', 'return right after the spawn')
    .option('--timeout <seconds>', 'how long to wait for it to serve', numberArg, 30)
    .option('--json', `${JSON_HELP}: pid, whether it was already running, config file, endpoints`)
    .addHelpText('after', examples('drill sandbox start', 'drill sandbox start --config examples/sandbox-config.json', 'drill sandbox start --json'))
    .action(async (o: { config?: string; wait: boolean; timeout: number; json?: boolean }) => {
      const r = await sandboxStartCommand({ config: o.config, wait: o.wait, timeoutSeconds: o.timeout }, { config: cfg() });
      print(o.json, r, () => [
        r.alreadyRunning ? `sandbox already running (pid ${r.pid})` : `sandbox started (pid ${r.pid})`,
        ...(r.info ? [`gateway ${r.info.gateway_url}  broker ws ${r.info.broker_ws_url}  run ${r.info.run_dir}`] : []),
      ]);
    });
  sandbox
    .command('stop')
    .description('Stop the sandbox gracefully (control endpoint, else SIGTERM): it flushes its state and exits 0')
    .addOption(sandboxConfigOpt())
    .option('--signal', 'send SIGTERM instead of calling the control endpoint')
    .option('--timeout <seconds>', 'how long to wait for it to exit', numberArg, 30)
    .option('--json', JSON_HELP)
    .addHelpText('after', examples('drill sandbox stop', 'drill sandbox stop --signal', 'drill sandbox stop --json'))
    .action(async (o: { config?: string; signal?: boolean; timeout: number; json?: boolean }) => {
      const r = await sandboxStopCommand({ config: o.config, signal: o.signal, timeoutSeconds: o.timeout }, { config: cfg() });
      print(o.json, r, () => (r.wasRunning ? `sandbox stopped (pid ${r.pid}, via ${r.via}) at ${r.stoppedAt}` : 'sandbox was not running'));
    });
  sandbox
    .command('status')
    .description('Show whether the sandbox runs, its endpoints, stats and active faults as JSON (exit 1 when not running)')
    .addOption(sandboxConfigOpt())
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText('after', examples('drill sandbox status', 'drill sandbox status --json'))
    .action(async (o: { config?: string }) => {
      const r = await sandboxStatusCommand(o, { config: cfg() });
      output.out(JSON.stringify(r, null, 2));
      if (!r.running || !r.healthy) setExit(1);
    });
  sandbox
    .command('inject')
    .description(
      'Inject a fault: stale_data, corrupt_bars, order_drift, position_drift, broker_disconnect, websocket_silence, crash_without_flush, slow_restart, state_saves_stop, reconciliation_not_restarting, slo_monitor_silent_after_restart, wrong_digest_on_restore',
    )
    .argument('<fault>', 'fault name')
    .addOption(sandboxConfigOpt())
    .option('--seconds <n>', 'slow_restart: startup delay before serving', numberArg)
    .option('--json', `${JSON_HELP}: { fault, changed, faults }`)
    .addHelpText(
      'after',
      examples('drill sandbox inject order_drift', 'drill sandbox inject slow_restart --seconds 30', 'drill sandbox inject order_drift --json'),
    )
    .action(async (fault: string, o: { config?: string; seconds?: number; json?: boolean }) => {
      const r = await sandboxInjectCommand({ config: o.config, fault, seconds: o.seconds }, { config: cfg() });
      print(
        o.json,
        { fault, ...r },
        () => `${r.changed ? 'injected' : 'already active'}: ${fault}; active: ${r.faults.map((f) => f.fault).join(', ') || 'none'}`,
      );
    });
  sandbox
    .command('clear')
    .description('Clear one fault, or all')
    .argument('<fault>', 'fault name or "all"')
    .addOption(sandboxConfigOpt())
    .option('--json', `${JSON_HELP}: { fault, changed, faults }`)
    .addHelpText('after', examples('drill sandbox clear order_drift', 'drill sandbox clear all', 'drill sandbox clear all --json'))
    .action(async (fault: string, o: { config?: string; json?: boolean }) => {
      const r = await sandboxClearCommand({ config: o.config, fault }, { config: cfg() });
      print(
        o.json,
        { fault, ...r },
        () => `${r.changed ? 'cleared' : 'was not active'}: ${fault}; active: ${r.faults.map((f) => f.fault).join(', ') || 'none'}`,
      );
    });
  sandbox
    .command('target')
    .description('Print the targets-file entry (DRILL_TARGETS_FILE) that points drill-runner at this sandbox')
    .addOption(sandboxConfigOpt())
    .option('--name <name>', 'target name', 'sandbox')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText('after', examples('drill sandbox target > targets.json', 'drill sandbox target --name paper-sandbox', 'drill sandbox target --json'))
    .action(async (o: { config?: string; name: string }) => {
      output.out(JSON.stringify(await sandboxTargetCommand(o, { config: cfg() }), null, 2));
    });

  program
    .command('promote')
    .description(
      'Run the promotion gate (runbook "Promotion Readiness"): criteria table, evidence bundle under results/promotions/<experiment>/<run_id>/, Markdown to $GITHUB_STEP_SUMMARY when set; exit 0 pass, 1 fail, 2 error. Thresholds: SLO_* variables (drill config)',
    )
    .requiredOption('--experiment <id>', 'experiment (strategy) being promoted')
    .requiredOption('--run-id <run_id>', 'paper run whose artifacts are the evidence (results/runs/<run_id>/)')
    .option('--strict', 'missing evidence fails the gate (default)')
    .option('--no-strict', 'lenient: missing evidence is reported, not enforced')
    .option('--target <name>', 'target whose latest weekly drill counts (default: latest drill of any target)')
    .option('--drill-max-age <days>', 'maximum age of the latest drill in days (default 7)', numberArg)
    .option('--rto-regression-factor <x>', 'the latest drill RTO may be at most x times the median of earlier drills (default 1.5)', numberArg)
    .option('--rto-regression-window <n>', 'how many earlier drills of the target that median covers (default 5)', numberArg)
    .option('--timeout <seconds>', 'how long to wait for the verdict', numberArg, 600)
    .option('--json', 'print the verdict as JSON instead of the table')
    .option('--out <file>', 'also write { verdict, bundle } as JSON to this local file (e.g. a CI artifact)')
    .addHelpText(
      'after',
      examples(
        'drill promote --experiment momentum-v3 --run-id paper-2026-11-25',
        'drill promote --experiment momentum-v3 --run-id paper-2026-11-25 --no-strict --target paper-sandbox',
        'SLO_MIN_RECONCILIATION_PASS_RATE=99.9% drill promote --experiment momentum-v3 --run-id paper-2026-11-25 --json',
      ),
    )
    .action(
      async (o: {
        experiment: string;
        runId: string;
        strict?: boolean;
        target?: string;
        drillMaxAge?: number;
        rtoRegressionFactor?: number;
        rtoRegressionWindow?: number;
        timeout: number;
        json?: boolean;
        out?: string;
      }) => {
        const r = await promoteCommand(
          {
            experiment: o.experiment,
            runId: o.runId,
            strict: o.strict,
            target: o.target,
            drillMaxAgeDays: o.drillMaxAge,
            rtoRegressionFactor: o.rtoRegressionFactor,
            rtoRegressionWindow: o.rtoRegressionWindow,
            timeoutSeconds: o.timeout,
            out: o.out,
          },
          { config: cfg(), output },
        );
        if (o.json) {
          output.out(JSON.stringify(r.result.verdict, null, 2));
          output.err(`evidence bundle: ${r.result.bundle.dir}\nmanifest sha256: ${r.result.bundle.manifestSha256}`);
        } else {
          output.out(renderVerdictTable(r.result.verdict));
          output.out(`evidence bundle: ${r.result.bundle.dir}`);
          output.out(
            `manifest sha256: ${r.result.bundle.manifestSha256}  (pin it: drill verify-bundle ${r.result.bundle.dir} --expect-hash ${r.result.bundle.manifestSha256})`,
          );
          output.out(`workflow: ${r.workflowId} (run ${r.workflowRunId})`);
        }
        setExit(r.exitCode);
      },
    );

  program
    .command('verify-bundle')
    .description(
      'Check an evidence bundle against its manifest.json (SHA-256 of every file, the subject included) and, with --expect-hash, the manifest against the hash drill promote printed: exit 0 verified, 1 a file changed, missing or extra, a re-labelled subject or not the pinned bundle, 2 not a bundle',
    )
    .argument('<dir>', 'bundle folder, e.g. results/promotions/<experiment>/<run_id>')
    .option('--expect-hash <sha256>', "the manifest's SHA-256 as drill promote printed it (step summary): proves this is the bundle the gate wrote")
    .option('--json', 'print the verification as JSON')
    .addHelpText(
      'after',
      examples(
        'drill verify-bundle results/promotions/momentum-v3/paper-2026-11-25',
        'drill verify-bundle results/promotions/momentum-v3/paper-2026-11-25 --expect-hash 3f2a…(64 hex)',
        'drill verify-bundle results/promotions/momentum-v3/paper-2026-11-25 --json',
      ),
    )
    .action(async (dir: string, o: { expectHash?: string; json?: boolean }) => {
      const r = await verifyBundleCommand(dir, { expectHash: o.expectHash });
      if (o.json) {
        output.out(JSON.stringify(r.verification, null, 2));
        setExit(r.exitCode);
        return;
      }
      output.out(describeVerification(r.verification));
      setExit(r.exitCode);
    });

  program
    .command('report')
    .description('Drill reports under <DRILL_RESULTS_DIR>/drills')
    .command('index')
    .description(
      '(Re)write drills/index.html: RTO, RPO and verdict of every drill on disk per target as a trend, each linked to its report (also written after every drill)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('drill report index', 'DRILL_RESULTS_DIR=/srv/drill/results drill report index --json'))
    .action(async (o: { json?: boolean }) => {
      const r = await writeDrillIndex(cfg().resultsDir);
      if (o.json) output.out(JSON.stringify(r, null, 2));
      else {
        for (const p of r.problems) output.err(`skipped: ${p}`);
        output.out(`${r.path}: ${r.reports} drill report(s)`);
      }
    });

  program
    .command('sign-off')
    .description(
      "Sign a drill's test record off (update signOff on its sign-off workflow; answers once signoff.json, with the SHA-256 of the report signed, is written), or show where its sign-off stands (--status). Exit 1 when refused (already signed, expired) or unknown",
    )
    .requiredOption('--target <name>', "the drill's target")
    .requiredOption('--drill-id <id>', "the drill id (report.json's drillId)")
    .option('--by <name>', 'who signs')
    .option('--role <role>', 'in which role (e.g. "DR test owner")')
    .option('--decision <decision>', 'accepted, accepted-with-findings or rejected')
    .option('--notes <text>', 'notes kept with the sign-off')
    .option('--status', "only show the sign-off's state")
    .option('--json', 'print the record (or the status) as JSON')
    .addHelpText(
      'after',
      examples(
        'drill sign-off --target paper-1 --drill-id drill-2026-11-29 --by alice --role "DR test owner" --decision accepted',
        'drill sign-off --target paper-1 --drill-id drill-2026-11-29 --status --json',
      ),
    )
    .action(async (o: { target: string; drillId: string; by?: string; role?: string; decision?: string; notes?: string; status?: boolean; json?: boolean }) => {
      if (o.status) {
        const st = await signOffStatusCommand(o, { config: cfg() });
        output.out(o.json ? JSON.stringify(st, null, 2) : describeSignOffStatus(st));
        return;
      }
      const r = await signOffCommand(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeSignOff(r));
    });

  program
    .command('evidence')
    .description('Evidence for auditors')
    .command('export')
    .description(
      'Bundle every drill of a target since a date (reports, sign-offs, findings with their re-tests, the audit log with its head and verification) into one folder with a SHA-256 manifest (check: drill verify-bundle). Exit 1 when no drill is in the window',
    )
    .requiredOption('--target <name>', 'target')
    .requiredOption('--since <date>', 'first day (2026-11-01) or an ISO date-time with offset')
    .option('--until <date>', 'end of the window (exclusive; default: now)')
    .option('--out <dir>', 'output folder (default: <DRILL_RESULTS_DIR>/evidence/<target>_<since>_<until>)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        'drill evidence export --target paper-1 --since 2026-10-01',
        'drill evidence export --target paper-1 --since 2026-10-01 --until 2027-01-01 --out /tmp/q4-dr-evidence --json',
      ),
    )
    .action(async (o: { target: string; since: string; until?: string; out?: string; json?: boolean }) => {
      const r = await evidenceExport(o, { resultsDir: cfg().resultsDir });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeEvidenceExport(r));
    });

  program
    .command('audit')
    .description("The runner's append-only, hash-chained audit log")
    .command('verify')
    .description(
      'Re-walk the hash chain and check its head against the checkpoint, drill reports and evidence bundles; exit 0 intact, 1 broken (edited, removed, reordered, truncated, wiped or recomputed: named), 2 no log',
    )
    .option('--file <path>', 'audit log (default: <DRILL_RESULTS_DIR>/audit/drill-runner.jsonl)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('drill audit verify', 'drill audit verify --file /srv/drill/results/audit/drill-runner.jsonl', 'drill audit verify --json'))
    .action(async (o: { file?: string; json?: boolean }) => {
      const r = await auditVerify(o, { resultsDir: cfg().resultsDir });
      if (o.json) {
        output.out(JSON.stringify(r, null, 2));
        if (!r.ok) setExit(1);
      } else if (r.ok) output.out(`audit log intact: ${r.lines} lines, last hash ${r.lastHash}, ${r.anchors} anchor(s) agree (${r.file})`);
      else {
        for (const p of r.problems) output.out(p);
        output.out(`audit log BROKEN: ${r.problems.length} problem(s) in ${r.lines} lines (${r.file})`);
        setExit(1);
      }
    });

  const tools = program.command('tools').description('The pinned Temporal CLI and time-skipping test server');
  tools
    .command('ensure')
    .description('Provision both tools into the per-user cache (skipped when present)')
    .option('--json', `${JSON_HELP}: { cache, tools: [{ tool, path, source, version }] }`)
    .addHelpText('after', examples('drill tools ensure', 'DRILL_RUNNER_CACHE=/opt/drill-cache drill tools ensure', 'drill tools ensure --json'))
    .action(async (o: { json?: boolean }) => {
      const say = progressTo(o.json);
      // Human output is the progress itself: one line per tool.
      print(o.json, await toolsEnsure((l) => say.out(l)), () => []);
    });
  tools
    .command('where')
    .description('Print where each tool is, so you can run the same `temporal` binary (exit 1 when one is not provisioned)')
    .option('--json', `${JSON_HELP}: { cache, tools: [{ tool, provisioned, path, source, version, versionLine }], exitCode }`)
    .addHelpText('after', examples('drill tools where', 'drill tools where --json'))
    .action((o: { json?: boolean }) => {
      const r = toolsWhere();
      print(o.json, r, () => describeToolsWhere(r));
      setExit(r.exitCode);
    });

  program
    .command('config')
    .description(
      'Validate the environment and list every setting drill-runner reads: the value in force and where it came from (env, profile, default); secrets only as set or not',
    )
    .option('--json', 'print the settings as JSON')
    .addHelpText('after', examples('SLO_PAGING_ENABLED=true SLO_PAGING_WEBHOOK_URL=https://hooks.example/page drill config', 'drill config --json'))
    .action((o: { json?: boolean }) => {
      const c = cfg();
      const rows = describeSettings(process.env, c);
      if (o.json) {
        output.out(
          JSON.stringify(
            {
              settings: rows,
              inForce: {
                address: c.temporal.address,
                namespace: c.temporal.namespace,
                taskQueue: c.taskQueue,
                paging: c.paging.enabled ? { format: c.paging.format, minSeverity: c.paging.minSeverity } : null,
              },
            },
            null,
            2,
          ),
        );
        return;
      }
      for (const l of formatSettings(rows)) output.out(l);
      output.out(
        `\nin force: address ${c.temporal.address}, namespace ${c.temporal.namespace}, task queue ${c.taskQueue}, paging ${c.paging.enabled ? `on (${c.paging.format}, min ${c.paging.minSeverity})` : 'off'}`,
      );
    });

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  let exitCode = 0;
  // A command run with --json that fails before printing its document prints { error, exitCode } instead.
  let json = false;
  let printed = false;
  const counted: Output = {
    out: (l) => {
      printed = true;
      output.out(l);
    },
    err: (l) => output.err(l),
  };
  const program = buildProgram(counted, (c) => (exitCode = c));
  program.hook('preAction', (_program, action) => {
    json = action.opts<{ json?: boolean }>().json === true;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; usage errors with 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    // CommandError carries its code; ConfigError, TemporalTimeoutError and anything else are 2.
    const code = err instanceof CommandError ? err.exitCode : 2;
    const message =
      err instanceof CommandError || err instanceof ConfigError || err instanceof TemporalTimeoutError ? err.message : ((err as Error).message ?? String(err));
    output.err(`drill: ${message}`);
    if (json && !printed) output.out(JSON.stringify({ error: message, exitCode: code }, null, 2));
    return code;
  }
}
