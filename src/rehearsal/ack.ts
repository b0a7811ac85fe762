/**
 * `drill rehearse ack`: the real `incidentAckWorkflow` with an escalation policy, on the private
 * time-skipping server, paging into the loopback recorder. The clock is moved from one escalation to
 * the next (the workflow's own `nextEscalationAt`), and to the ack minute when one is asked for; the
 * timeline is what the recorder received, matched to the workflow's own page records by dedup key.
 */
import { acknowledgeUpdate, incidentAckStatusQuery } from '../workflows/definitions';
import { incidentAckInputSchema, type IncidentAckInput, type IncidentAckStatus } from '../domain/incident-ack';
import { formatOffset, pageFacts, type AckRehearsal, type PageFacts } from '../domain/rehearsal';
import { workflowIds } from '../shared';
import { pendingActivities, settle, startRehearsalEnv, type RehearsalEnvOptions } from './environment';
import type { incidentAckWorkflow } from '../workflows';

export interface AckRehearsalOptions extends RehearsalEnvOptions {
  /** The ack timer's input besides ids (escalation policy, SLA, severity), as an incident would start it. */
  input: Omit<IncidentAckInput, 'runId' | 'incidentId' | 'openedAt'>;
  /** Where the policy came from, for the output. */
  policySource: string;
  /** Acknowledge at this many seconds after opening. */
  ackAtSeconds?: number;
  /** After the last escalation (or the ack), watch this long for further pages. */
  watchSeconds?: number;
  /** Stop after this much rehearsal time whatever happens. */
  untilSeconds?: number;
}

const RUN_ID = 'rehearsal';

/** One escalation step: level and repeat round. */
function stepKey(p: { level: number; round: number }): string {
  return `${p.level}/${p.round}`;
}

export async function rehearseAck(o: AckRehearsalOptions): Promise<AckRehearsal> {
  const incidentId = `rehearsal-${Date.now().toString(36)}`;
  // The run-file watch looks once per simulated hour: a long-poll would hold time still (the
  // time-skipping server does not skip while an activity runs), and no one writes a rehearsal's file.
  const input = { fileWatch: { holdSeconds: 0, pauseSeconds: 3600 }, ...o.input, runId: RUN_ID, incidentId } as IncidentAckInput;
  const parsed = incidentAckInputSchema.parse(input);
  const watch = (o.watchSeconds ?? 900) * 1000;
  const until = (o.untilSeconds ?? 7 * 86400) * 1000;
  const r = await startRehearsalEnv(o);
  try {
    return await r.withWorker(async () => {
      const workflowId = workflowIds.incidentAck(RUN_ID, incidentId);
      const handle = await r.env.client.workflow.start<typeof incidentAckWorkflow>('incidentAckWorkflow', {
        taskQueue: r.taskQueue,
        workflowId,
        args: [input],
      });
      const status = async (): Promise<IncidentAckStatus> => handle.query(incidentAckStatusQuery);
      // Minute 0: when the workflow says the incident opened (its status), else when it started.
      const opened = Date.parse((await status()).openedAt ?? '');
      const t0 = Number.isFinite(opened) ? opened : (await handle.describe()).startTime.getTime();
      r.setOrigin(t0);
      // Quiet: nothing in flight (no pending activity), status and recorder unchanged for a moment.
      const quiet = () =>
        settle(async () => ({ s: await status(), n: r.recorder.requests.length, pending: await pendingActivities(handle) }), { ready: (v) => v.pending === 0 });

      let ack: AckRehearsal['ack'];
      let ended = '';
      let watchedUntil = t0;
      // Each escalation is due at the workflow's own `nextEscalationAt`; what reached the recorder
      // (and what the workflow recorded) while the clock stood there belongs to that escalation.
      const dueOfRequest = new Map<number, number>();
      const dueOfRecord = new Map<string, number>();
      for (let s = (await quiet()).s; ;) {
        const next = s.nextEscalationAt ? Date.parse(s.nextEscalationAt) : undefined;
        const ackAt = o.ackAtSeconds !== undefined && !ack ? t0 + o.ackAtSeconds * 1000 : undefined;
        if (ackAt !== undefined && (next === undefined || ackAt < next)) {
          await r.advanceTo(ackAt);
          const rec = await handle.executeUpdate(acknowledgeUpdate, {
            args: [{ ackBy: 'rehearsal', notes: 'escalation rehearsal (drill rehearse ack)' }],
          });
          ack = {
            atSeconds: (ackAt - t0) / 1000,
            ackBy: rec.ackBy,
            latencySeconds: rec.latencySeconds,
            slaMet: rec.slaMet,
          };
          watchedUntil = Math.min(ackAt + watch, t0 + until);
          await r.advanceTo(watchedUntil);
          ended = `acknowledged at ${formatOffset(ack.atSeconds)}; watched ${watch / 60000} min more`;
          break;
        }
        if (next === undefined) {
          watchedUntil = Math.min(Math.max(watchedUntil, t0) + watch, t0 + until);
          await r.advanceTo(watchedUntil);
          ended = `no further escalation scheduled: the timer waits for an ack (watched ${watch / 60000} min more)`;
          break;
        }
        if (next > t0 + until) {
          watchedUntil = t0 + until;
          ended = `stopped at the rehearsal limit; next escalation was due at ${formatOffset((next - t0) / 1000)}`;
          break;
        }
        // To the escalation (its timer fires there), then let the page and the workflow settle.
        const requestsBefore = r.recorder.requests.length;
        const recordsBefore = s.pages?.length ?? 0;
        await r.advanceTo(next);
        watchedUntil = next;
        s = (await quiet()).s;
        for (const q of r.recorder.requests.slice(requestsBefore)) dueOfRequest.set(q.seq, next);
        for (const p of (s.pages ?? []).slice(recordsBefore)) dueOfRecord.set(stepKey(p), next);
      }
      const final = (await quiet()).s;
      const rel = (ms: number) => (ms - t0) / 1000;
      // The workflow's own record of each page, matched by escalation step (one dedup key serves the
      // whole incident); acknowledge/resolve events are the paging lifecycle, not pages.
      const own = new Map((final.pages ?? []).map((p) => [stepKey(p), p]));
      const received = r.recorder.requests.map((q) => ({ q, facts: pageFacts(q) }));
      const isLifecycle = (f: PageFacts) => f.action === 'acknowledge' || f.action === 'resolve';
      const pages = received
        .filter((x) => !isLifecycle(x.facts))
        .map(({ q, facts }) => {
          const rec = facts.level !== undefined ? own.get(stepKey({ level: facts.level, round: facts.round ?? 0 })) : undefined;
          const due = dueOfRequest.get(q.seq);
          return {
            ...q,
            atSeconds: due !== undefined ? rel(due) : rec ? rel(Date.parse(rec.at)) : q.atSeconds,
            ...(rec ? { sentAtSeconds: rel(Date.parse(rec.at)), outcome: rec.outcome } : {}),
            receivedAtSeconds: q.atSeconds,
            facts,
          };
        });
      const lifecycle = received.filter((x) => isLifecycle(x.facts)).map(({ q, facts }) => ({ ...q, receivedAtSeconds: q.atSeconds, facts }));
      // Escalations the workflow recorded that the recorder never got (paging off for the severity, ...).
      const paged = new Set(pages.filter((p) => p.facts.level !== undefined).map((p) => stepKey({ level: p.facts.level!, round: p.facts.round ?? 0 })));
      const notPaged = (final.pages ?? [])
        .filter((p) => !paged.has(stepKey(p)))
        .map((p) => ({
          atSeconds: rel(dueOfRecord.get(stepKey(p)) ?? Date.parse(p.at)),
          level: p.level,
          round: p.round,
          outcome: p.outcome,
        }));
      await handle.terminate('rehearsal over').catch(() => undefined);
      return {
        kind: 'ack' as const,
        isolation: r.isolation,
        policy: {
          source: o.policySource,
          ackSlaSeconds: parsed.ackSlaSeconds,
          ...(parsed.escalation ? { escalation: parsed.escalation } : {}),
          severity: parsed.severity,
        },
        incident: { runId: RUN_ID, incidentId, workflowId },
        pages,
        lifecycle,
        ...(ack ? { ack } : {}),
        notPaged,
        pagesAfterAck: ack ? pages.filter((p) => p.atSeconds > ack.atSeconds).length : 0,
        workflow: {
          state: final.state,
          escalationLevel: final.escalationLevel,
          pages: final.pages,
          ...(final.nextEscalationAt ? { nextEscalationAt: final.nextEscalationAt } : {}),
        },
        watchedUntilSeconds: (watchedUntil - t0) / 1000,
        ended,
      };
    });
  } finally {
    await r.close();
  }
}
