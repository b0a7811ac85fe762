import fs from 'node:fs';
import path from 'node:path';
import { createProcessControlActivities, runShell } from '../../src/activities/process-control';
import { isAlive, sandboxMainPath } from '../../src/sandbox/control';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';

describe('sandbox adapter', () => {
  let sbx: TestSandbox;
  let pc: ReturnType<typeof createProcessControlActivities>;
  beforeAll(async () => {
    sbx = await startTestSandbox();
    pc = createProcessControlActivities(sbx.deps);
  });
  afterAll(async () => sbx?.cleanup());

  test('health, keyed graceful stop (never twice), keyed start, healthy again with a new boot', async () => {
    const h0 = await pc.processHealth({ target: sbx.targetName });
    expect(h0).toMatchObject({ adapter: 'sandbox', healthy: true, pid: sbx.info.pid });

    const stop = await pc.processStop({ target: sbx.targetName, idempotencyKey: 'drill-1.stop' });
    expect(stop).toMatchObject({ adapter: 'sandbox', alreadyDone: false, wasRunning: true });
    expect(Date.parse(stop.stoppedAt)).toBeGreaterThanOrEqual(Date.parse(stop.stopRequestedAt));
    expect((await pc.processHealth({ target: sbx.targetName })).healthy).toBe(false);

    // The process stopped gracefully, through the control endpoint, once.
    const truth = sbx.groundTruth();
    expect(truth.filter((e) => e.event === 'stop_requested')).toEqual([expect.objectContaining({ via: 'control' })]);
    expect(truth.at(-1)).toMatchObject({ event: 'stopped', via: 'control' });

    const again = await pc.processStop({ target: sbx.targetName, idempotencyKey: 'drill-1.stop' });
    expect(again).toMatchObject({ alreadyDone: true, stoppedAt: stop.stoppedAt });
    expect(fs.existsSync(path.join(sbx.deps.opsDir, 'stop.drill-1.stop.done'))).toBe(true);

    const start = await pc.processStart({ target: sbx.targetName, idempotencyKey: 'drill-1.start' });
    expect(start).toMatchObject({ adapter: 'sandbox', alreadyDone: false, alreadyRunning: false });
    const healthy = await waitFor('the restarted sandbox to serve', async () => {
      const h = await pc.processHealth({ target: sbx.targetName });
      return h.healthy ? h : undefined;
    });
    expect(healthy.pid).toBe(start.pid);
    expect(healthy.bootId).not.toBe(sbx.info.boot_id);
    const startAgain = await pc.processStart({ target: sbx.targetName, idempotencyKey: 'drill-1.start' });
    expect(startAgain).toMatchObject({ alreadyDone: true, pid: start.pid });
    expect(sbx.groundTruth().filter((e) => e.event === 'process_start')).toHaveLength(2);
  });

  test('a retry that finds only the pending marker of a stop that happened does not stop again', async () => {
    await waitFor('serving', async () => (await pc.processHealth({ target: sbx.targetName })).healthy);
    fs.mkdirSync(sbx.deps.opsDir, { recursive: true });
    // The worker died after stopping but before recording it.
    fs.writeFileSync(path.join(sbx.deps.opsDir, 'stop.crashed-worker.pending'), JSON.stringify({ at: new Date().toISOString() }));
    await sbx.stop();
    const stopsBefore = sbx.groundTruth().filter((e) => e.event === 'stop_requested').length;
    const r = await pc.processStop({ target: sbx.targetName, idempotencyKey: 'crashed-worker' });
    expect(r).toMatchObject({ alreadyDone: false, detail: expect.stringMatching(/found on retry/) });
    expect(sbx.groundTruth().filter((e) => e.event === 'stop_requested')).toHaveLength(stopsBefore);
    await sbx.start();
  });

  test('stopSeconds bounds the stop from the first request: a stop that hangs fails ProcessStopIncomplete (non-retryable), nothing marked done', async () => {
    await waitFor('serving', async () => (await pc.processHealth({ target: sbx.targetName })).healthy);
    await sbx.inject('stop_hangs');
    const t0 = Date.now();
    await expect(pc.processStop({ target: sbx.targetName, idempotencyKey: 'hang.stop', stopSeconds: 1 })).rejects.toMatchObject({
      type: 'ProcessStopIncomplete',
      nonRetryable: true,
      message: expect.stringMatching(/stop did not complete: sandbox pid \d+ still running/),
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(fs.existsSync(path.join(sbx.deps.opsDir, 'stop.hang.stop.done'))).toBe(false);
    // Draining, not gone: health says so, and a retry under the same key waits again (past the bound: fails again).
    expect((await pc.processHealth({ target: sbx.targetName })).detail).toMatch(/503 stopping/);
    await expect(pc.processStop({ target: sbx.targetName, idempotencyKey: 'hang.stop', stopSeconds: 1 })).rejects.toMatchObject({
      type: 'ProcessStopIncomplete',
    });
    sbx.kill();
    await waitFor('the hung sandbox gone', () => !fs.existsSync(sbx.paths.pidFile) || !isAlive(Number(fs.readFileSync(sbx.paths.pidFile, 'utf8'))));
    await sbx.start();
  });

  test('a retry of a stop that is still draining keeps the first request time and waits until the process is gone', async () => {
    await waitFor('serving', async () => (await pc.processHealth({ target: sbx.targetName })).healthy);
    await sbx.inject('slow_drain', 1.5);
    const firstAt = new Date(Date.now() - 200).toISOString();
    fs.mkdirSync(sbx.deps.opsDir, { recursive: true });
    // The worker died right after asking for the stop: the pending marker holds the first request.
    fs.writeFileSync(path.join(sbx.deps.opsDir, 'stop.drain.stop.pending'), JSON.stringify({ at: firstAt, target: sbx.targetName }));
    await fetch(`${sbx.info.control_url}/control/stop`, { method: 'POST' });
    const r = await pc.processStop({ target: sbx.targetName, idempotencyKey: 'drain.stop', stopSeconds: 30 });
    expect(r).toMatchObject({ alreadyDone: false, stopRequestedAt: firstAt, wasRunning: true });
    const stopped = sbx
      .groundTruth()
      .filter((e) => e.event === 'stopped')
      .at(-1)!;
    expect(Date.parse(r.stoppedAt)).toBeGreaterThanOrEqual(Date.parse(stopped.ts));
    expect(
      sbx
        .groundTruth()
        .filter((e) => e.event === 'stop_requested')
        .at(-1)!.via,
    ).toBe('control');
    await sbx.start();
  });

  test('slow_restart: started but not healthy until the delay has passed', async () => {
    await waitFor('serving', async () => (await pc.processHealth({ target: sbx.targetName })).healthy);
    await sbx.inject('slow_restart', 1);
    await pc.processStop({ target: sbx.targetName, idempotencyKey: 'slow.stop' });
    const start = await pc.processStart({ target: sbx.targetName, idempotencyKey: 'slow.start' });
    expect((await pc.processHealth({ target: sbx.targetName })).healthy).toBe(false);
    const h = await waitFor('serving after the delay', async () => {
      const r = await pc.processHealth({ target: sbx.targetName });
      return r.healthy ? r : undefined;
    });
    expect(Date.parse(h.checkedAt) - Date.parse(start.startRequestedAt)).toBeGreaterThanOrEqual(1000);
    await sbx.clear('slow_restart');
  });

  test('a key reused for another target, a bad key, an unknown target are non-retryable', async () => {
    await expect(pc.processStop({ target: sbx.targetName, idempotencyKey: '../x' })).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringMatching(/idempotencyKey/),
    });
    await expect(pc.processStart({ target: 'nope', idempotencyKey: 'k1' })).rejects.toMatchObject({ type: 'UnknownTarget', nonRetryable: true });
    fs.writeFileSync(
      path.join(sbx.deps.opsDir, 'stop.other.done'),
      JSON.stringify({ target: 'other-target', adapter: 'sandbox', stopRequestedAt: '', stoppedAt: '', wasRunning: true }),
    );
    await expect(pc.processStop({ target: sbx.targetName, idempotencyKey: 'other' })).rejects.toMatchObject({
      type: 'InvalidInput',
      message: expect.stringMatching(/already used to stop target other-target/),
    });
  });
});

describe('shell adapter (commands start and stop a real process)', () => {
  let sbx: TestSandbox;
  let pc: ReturnType<typeof createProcessControlActivities>;
  beforeAll(async () => {
    const main = sandboxMainPath();
    sbx = await startTestSandbox({
      targetName: 'shell-1',
      target: (entry, { configFile, config }) => {
        const pidFile = path.join(config.stateDir, 'sandbox.pid');
        const port = new URL(entry.gatewayUrl).port;
        return {
          ...entry,
          process: {
            adapter: 'shell',
            start: `nohup "${process.execPath}" "${main}" --config "${configFile}" >> "${config.stateDir}/shell-start.log" 2>&1 &`,
            stop: `pid=$(cat "${pidFile}") && kill -TERM "$pid" && while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done`,
            // Prints the health JSON (contract §7): the adapter reads boot_id, started_at, serving_at from it.
            health: `"${process.execPath}" -e "fetch('http://127.0.0.1:${port}/health').then(async r => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1) }, () => process.exit(1))"`,
            timeoutSeconds: 15,
          },
        };
      },
    });
    pc = createProcessControlActivities(sbx.deps);
  });
  afterAll(async () => sbx?.cleanup());

  test('health, stop, start through the configured commands', async () => {
    const before = await pc.processHealth({ target: 'shell-1' });
    expect(before).toMatchObject({ adapter: 'shell', healthy: true, bootId: sbx.info.boot_id, startedAt: sbx.info.started_at, servingAt: sbx.info.serving_at });
    const stop = await pc.processStop({ target: 'shell-1', idempotencyKey: 'shell-drill.stop' });
    expect(stop).toMatchObject({ adapter: 'shell', alreadyDone: false });
    expect(sbx.groundTruth().at(-1)).toMatchObject({ event: 'stopped', via: 'SIGTERM' });
    expect((await pc.processHealth({ target: 'shell-1' })).healthy).toBe(false);
    // Retried: the key's marker answers; the command does not run again (it would fail: no pid file).
    expect(await pc.processStop({ target: 'shell-1', idempotencyKey: 'shell-drill.stop' })).toMatchObject({ alreadyDone: true });

    const start = await pc.processStart({ target: 'shell-1', idempotencyKey: 'shell-drill.start' });
    expect(start).toMatchObject({ adapter: 'shell', alreadyDone: false });
    const after = await waitFor('the shell-started sandbox to be healthy', async () => {
      const h = await pc.processHealth({ target: 'shell-1' });
      return h.healthy ? h : undefined;
    });
    expect(sbx.groundTruth().filter((e) => e.event === 'serving')).toHaveLength(2);
    // A new boot, told by the health JSON the command printed; its ready time is the truth's `serving`.
    expect(after.bootId).toBeDefined();
    expect(after.bootId).not.toBe(before.bootId);
    expect(after.servingAt).toBe(
      sbx
        .groundTruth()
        .filter((e) => e.event === 'serving')
        .at(-1)!.ts,
    );
  });

  test('a failing stop command is a retryable failure carrying its output; nothing is marked done', async () => {
    await sbx.stop();
    await expect(pc.processStop({ target: 'shell-1', idempotencyKey: 'stop-when-down' })).rejects.toMatchObject({
      type: 'ProcessCommandFailed',
      nonRetryable: false,
      message: expect.stringMatching(/exit 1/),
    });
    expect(fs.existsSync(path.join(sbx.deps.opsDir, 'stop.stop-when-down.done'))).toBe(false);
    await sbx.start();
  });

  test('commands run under a timeout that kills their process group', async () => {
    const r = await runShell('sleep 5; echo never', { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, exitCode: null });
    expect(r.durationMs).toBeLessThan(4000);
    const ok = await runShell('echo out; echo err >&2; exit 3', { timeoutMs: 5000 });
    expect(ok).toMatchObject({ exitCode: 3, stdout: 'out', stderr: 'err', timedOut: false });
  });
});
