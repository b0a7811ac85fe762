/**
 * The weekly drill's rollback, which always runs (non-cancellable): the target up (started again
 * while a drained stop is still exiting, backing off), faults cleared, entries resumed if the drill
 * halted them, the drill's maintenance window closed with its incidents attributed.
 */
import { patched, sleep } from '@temporalio/workflow';
import { attributeIncidents, chaosCause, stillOpen, stopCause, type AttributedIncident } from '../domain/drill-incidents';
import { nextSliceMs, rollbackRestartDelayMs } from '../domain/drill-wait';
import { innermostMessage } from '../domain/failure-chain';
import { faultCall, ms, probe, processCall, waitCall } from './drill-calls';
import { ROLLBACK_BACKOFF_PATCH } from './drill-patches';
import type { WeeklyDrill } from './weekly-drill';

/** Always runs (non-cancellable): target up, faults cleared, entries resumed if the drill halted them. */
export async function rollbackDrill(d: WeeklyDrill): Promise<void> {
  const p = d.p;
  const s = d.begin('rollback');
  const note = (x: string) => d.rollbackLog.push(x);
  const attempt = async (what: string, fn: () => Promise<string>) => {
    try {
      note(`${what}: ${await fn()}`);
    } catch (err) {
      note(`${what}: FAILED (${innermostMessage(err)})`);
    }
  };
  if (!d.preflight) {
    d.end(s, 'skipped', 'nothing to roll back: preflight did not complete');
    return;
  }
  let healthy = (
    await d
      .read('rollback: is the target up')
      .processHealth({ target: p.target, timeoutMs: 2000 })
      .catch(() => ({ healthy: false }))
  ).healthy;
  if (!healthy) {
    let alreadyRunning = false;
    let starts = 0;
    const start = async () => {
      starts++;
      await attempt(starts === 1 ? 'start target' : `start target (again, #${starts})`, async () => {
        const r = await processCall('rollback: start the target').processStart({
          target: p.target,
          idempotencyKey: d.key(starts === 1 ? 'rollback-start' : `rollback-start.${starts}`),
        });
        alreadyRunning = r.alreadyRunning;
        return r.alreadyRunning ? 'already running' : `started (${r.detail ?? 'spawned'})`;
      });
    };
    await start();
    const bound = Date.now() + ms(p.restartSeconds);
    let lastStart = Date.now();
    if (d.bounded) {
      // Long polls; a drained stop that exits later is started again, 5 s after the start, then 10, 20 … s apart
      // (up to 30 min since `rollback-backoff-cap`: a target draining for days stays a bounded history).
      const backoffCapped = patched(ROLLBACK_BACKOFF_PATCH);
      while (!healthy && Date.now() < bound) {
        const again = d.truth && alreadyRunning;
        const sliceMs = nextSliceMs(Math.min(bound - Date.now(), again ? rollbackRestartDelayMs(starts, backoffCapped) : Number.POSITIVE_INFINITY));
        const sliceEnd = Date.now() + sliceMs;
        const w = await waitCall('rollback: wait until serving (long poll)')
          .drillWaitServing({ target: p.target, sliceMs, pollMs: p.pollMs, until: 'healthy' })
          .catch(() => undefined);
        healthy = w?.done ?? false;
        if (healthy || Date.now() >= bound) break;
        if (Date.now() < sliceEnd) await d.restOfSlice(sliceEnd);
        if (again && Date.now() < bound) await start();
      }
    }
    while (!healthy && Date.now() < bound) {
      await sleep(p.pollMs);
      healthy = (
        await probe('rollback: wait until serving')
          .processHealth({ target: p.target, timeoutMs: 1000 })
          .catch(() => ({ healthy: false }))
      ).healthy;
      // A stop that outlived the drill (a long drain) exits later: start it again once it is gone.
      if (d.truth && !healthy && alreadyRunning && Date.now() - lastStart >= 5000) {
        lastStart = Date.now();
        await start();
      }
    }
    note(healthy ? 'target serving again' : `target NOT serving within ${p.restartSeconds} s`);
  }
  // Through the contract: only a target that declares faults is cleared (a shell one only if the drill injected).
  const clearFaults = !d.chaosContract || d.faultAdapter === 'http' || (d.faultAdapter === 'shell' && d.chaos.length > 0);
  if (healthy && clearFaults) {
    await attempt('clear faults', async () => {
      const r = d.chaosContract
        ? await faultCall('rollback: clear all faults (keyed)').chaosClear({
            target: p.target,
            fault: 'all',
            idempotencyKey: d.chaosKey('clear', 'rollback'),
          })
        : await probe('rollback: clear all faults').chaosClear({ target: p.target, fault: 'all' });
      return r.changed ? 'cleared' : 'none active';
    });
  }
  if (healthy) {
    if (d.haltedByDrill) {
      await attempt('resume entries', async () => {
        const r = await processCall('rollback: resume entries halted by the drill').gatewayResume({ target: p.target, idempotencyKey: d.key('resume') });
        return r.entriesHalted ? 'still halted' : r.changed ? 'resumed' : 'already open';
      });
    }
  }
  if (d.window) await attempt('drill incidents', () => closeWindow(d));
  d.end(s, healthy ? 'ok' : 'failed', d.rollbackLog.join('; '));
}

/**
 * The end of the drill's maintenance window: the incidents its chaos and stop opened are
 * attributed to it; those the target still reports open after the rollback plus `recoverySeconds`
 * are real (left open, the watcher opens them); the others get `incident_resolved` (keyed per
 * incident), then the window's close line lists them.
 */
async function closeWindow(d: WeeklyDrill): Promise<string> {
  const p = d.p;
  const w = d.window!;
  const cause = stopCause(d.timeline);
  const causes = [...d.chaos.map((c) => chaosCause(c)), ...(cause ? [cause] : [])];
  const bound = Date.now() + ms(p.recoverySeconds);
  let attributed: AttributedIncident[] = [];
  let open: AttributedIncident[] = [];
  let resolvedAlready: string[] = [];
  for (;;) {
    const r = await d.read('rollback: incidents opened during the drill').drillIncidentsSince({ target: p.target, since: w.openedAt });
    attributed = attributeIncidents(r.opens, causes, { untilIso: r.checkedAt, graceSeconds: p.recoverySeconds });
    resolvedAlready = r.resolved;
    open = stillOpen(attributed, causes, r.openAtTarget).filter((a) => !r.resolved.includes(a.incidentId));
    if (!open.length || Date.now() >= bound) break;
    // Bounded waits: the interval grows with the wait (a quarter of it, from pollMs to 30 minutes).
    await sleep(d.bounded ? Math.min(30 * 60_000, Math.max(p.pollMs, Math.round((Date.now() - (bound - ms(p.recoverySeconds))) / 4))) : p.pollMs);
  }
  const openIds = new Set(open.map((a) => a.incidentId));
  const toResolve = attributed.filter((a) => !openIds.has(a.incidentId) && !resolvedAlready.includes(a.incidentId));
  const res = toResolve.length
    ? await d.write('rollback: resolve the incidents the drill caused (incident_resolved)').drillResolveIncidents({
        target: p.target,
        drillId: d.drillId,
        incidents: toResolve.map((a) => ({ incidentId: a.incidentId, cause: a.cause })),
      })
    : { resolved: [] };
  const resolvedAt = new Map(res.resolved.map((x) => [x.incidentId, x.ts]));
  const closed = attributed.filter((a) => !openIds.has(a.incidentId));
  const c = await d.write('rollback: close the drill maintenance window').drillMaintenanceWindow({
    target: p.target,
    windowId: d.drillId,
    action: 'close',
    attributedIncidents: closed.map((a) => a.incidentId),
  });
  d.incidents = {
    windowId: d.drillId,
    openedAt: w.openedAt,
    closedAt: c.ts,
    attributed: closed.map((a) => ({ ...a, ...(resolvedAt.has(a.incidentId) ? { resolvedAt: resolvedAt.get(a.incidentId)! } : {}) })),
    outlived: open,
  };
  // Outlived ones are real incidents now (the watcher opens them once the window closes); the drill's verdict stays its own.
  return `${closed.length} drill incident(s) closed${open.length ? `; ${open.length} still open ${p.recoverySeconds} s after the rollback, real: ${open.map((a) => `${a.incidentId} (${a.cause})`).join(', ')}` : ''}`;
}
