/**
 * Escalation rehearsal (issue 15): the data a rehearsal returns and how it reads. The timeline is
 * built from what the loopback recorder received (route, dedup key, level as the page carries them)
 * and the workflows' public outputs, never recomputed from the policy, so it stays true when paging
 * changes. Pure: no I/O.
 */

/** `20m`, `90s`, `1h30m`, `1h` → seconds; undefined when malformed. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$/.exec(s);
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** Seconds after the incident opened as `mm:ss` (or `h:mm:ss`). */
export function formatOffset(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One HTTP request the recorder received. */
export interface RecordedRequest {
  seq: number;
  /** Seconds after the incident opened, on the rehearsal server's (skipped) clock. */
  atSeconds: number;
  method: string;
  /** The route: which configured paging URL it was sent to (`/paging/webhookUrl`). */
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status: number;
}

/** What a page says about itself, wherever the format keeps it (plain JSON or PagerDuty). */
export interface PageFacts {
  dedupKey?: string;
  level?: number;
  round?: number;
  levelName?: string;
  severity?: string;
  action?: string;
  summary?: string;
}

const KEYS: Record<keyof PageFacts, string[]> = {
  dedupKey: ['dedup_key', 'dedupKey'],
  level: ['level'],
  round: ['round'],
  levelName: ['level_name', 'levelName'],
  severity: ['severity'],
  action: ['event_action', 'event_type', 'type', 'action'],
  summary: ['summary'],
};

function find(v: unknown, names: string[], depth = 0): unknown {
  if (!v || typeof v !== 'object' || depth > 4) return undefined;
  for (const n of names) if (Object.hasOwn(v, n) && (v as Record<string, unknown>)[n] !== undefined) return (v as Record<string, unknown>)[n];
  for (const x of Object.values(v)) {
    const f = find(x, names, depth + 1);
    if (f !== undefined) return f;
  }
  return undefined;
}

export function pageFacts(r: Pick<RecordedRequest, 'body' | 'headers'>): PageFacts {
  const out: PageFacts = {};
  for (const [k, names] of Object.entries(KEYS) as Array<[keyof PageFacts, string[]]>) {
    const v = find(r.body, names);
    if (v === undefined || v === null) continue;
    if (k === 'level' || k === 'round') {
      if (typeof v === 'number') out[k] = v;
    } else if (typeof v === 'string') out[k] = v;
  }
  out.dedupKey ??= r.headers['idempotency-key'];
  return out;
}

export interface RehearsalIsolation {
  /** Where pages went: the loopback recorder. */
  recorder: string;
  /** Each paging setting that held a URL, and the recorder route it was pointed at instead. */
  routes: Record<string, string>;
  /** The server the workflow ran on. */
  server: string;
  statement: string;
}

export interface AckRehearsal {
  kind: 'ack';
  isolation: RehearsalIsolation;
  policy: { source: string; ackSlaSeconds?: number; escalation?: unknown; severity: string };
  incident: { runId: string; incidentId: string; workflowId: string };
  /**
   * `atSeconds`: when the escalation was due (the workflow's `nextEscalationAt`); `sentAtSeconds`: when
   * the workflow paged (its own record); `receivedAtSeconds`: when the recorder got it.
   */
  pages: Array<RecordedRequest & { facts: PageFacts; outcome?: string; sentAtSeconds?: number; receivedAtSeconds?: number }>;
  ack?: { atSeconds: number; ackBy: string; latencySeconds: number; slaMet: boolean };
  /** Escalations the workflow recorded without a request reaching the recorder, with its outcome. */
  notPaged: Array<{ atSeconds: number; level: number; round: number; outcome: string }>;
  /** Paging lifecycle events the recorder received (`acknowledge`, `resolve`): not pages. */
  lifecycle: Array<RecordedRequest & { facts: PageFacts; receivedAtSeconds?: number }>;
  /** Pages (triggers) the recorder received after the ack (should be none). */
  pagesAfterAck: number;
  /** The workflow's own records (public status query) at the end. */
  workflow: { state?: string; escalationLevel?: number; pages?: unknown[]; nextEscalationAt?: string };
  /** The rehearsal watched the recorder up to this many seconds after the incident opened. */
  watchedUntilSeconds: number;
  /** Why the rehearsal stopped watching. */
  ended: string;
}

export interface RecoveryRehearsal {
  kind: 'recovery';
  isolation: RehearsalIsolation;
  incidentClass: string;
  input: { maxWaitSeconds?: number; cycleSeconds?: number; recoverAtSeconds?: number };
  outcome: string;
  /** When the branch's maximum wait ends (its own deadline), seconds after it started. */
  deadlineSeconds: number;
  /** The workflow's own timeline (public result), seconds after the recovery started. */
  timeline: Array<{ atSeconds: number; step: string; detail?: string }>;
  pages: Array<RecordedRequest & { facts: PageFacts; receivedAtSeconds?: number }>;
  escalation?: { atSeconds: number; dedupKey: string; pageOutcome: string };
  cycles: number;
  simulated: string;
}

function pageLine(p: RecordedRequest & { facts: PageFacts; outcome?: string; sentAtSeconds?: number }): string {
  const f = p.facts;
  const who = f.levelName ? `${f.levelName} (level ${f.level ?? '?'})` : `level ${f.level ?? '?'}`;
  const round = f.round ? `, repeat ${f.round}` : '';
  const action = f.action ? `  [${f.action}]` : '';
  const late = p.sentAtSeconds !== undefined && p.sentAtSeconds - p.atSeconds >= 1 ? ` (sent ${formatOffset(p.sentAtSeconds)})` : '';
  return (
    `  ${formatOffset(p.atSeconds).padStart(7)}  PAGE   ${who}${round} via ${p.path}` +
    `  dedup ${f.dedupKey ?? '(none)'}${action}  → recorder ${p.status}${late}`
  );
}

export function renderAckRehearsal(r: AckRehearsal): string[] {
  const lines = [
    `Escalation rehearsal: incidentAckWorkflow, ${r.policy.source}, severity ${r.policy.severity}`,
    `  ${r.isolation.statement}`,
    `  incident ${r.incident.incidentId} opened at 00:00 (workflow ${r.incident.workflowId})`,
  ];
  const events: Array<{ at: number; line: string }> = r.pages.map((p) => ({ at: p.atSeconds, line: pageLine(p) }));
  for (const n of r.notPaged) {
    const round = n.round ? `, repeat ${n.round}` : '';
    events.push({
      at: n.atSeconds,
      line: `  ${formatOffset(n.atSeconds).padStart(7)}  ESCAL  level ${n.level}${round}: no page sent (${n.outcome})`,
    });
  }
  for (const l of r.lifecycle) {
    const at = l.receivedAtSeconds ?? l.atSeconds;
    events.push({
      at,
      line: `  ${formatOffset(at).padStart(7)}  ${(l.facts.action ?? 'event').toUpperCase().slice(0, 6).padEnd(6)} sent to the paged route(s), dedup key ${l.facts.dedupKey ?? '?'}`,
    });
  }
  if (r.ack) {
    events.push({
      at: r.ack.atSeconds,
      line:
        `  ${formatOffset(r.ack.atSeconds).padStart(7)}  ACK    by ${r.ack.ackBy}: ` +
        `latency ${formatOffset(r.ack.latencySeconds)}, SLA ${r.ack.slaMet ? 'met' : 'breached'}`,
    });
  }
  events.sort((a, b) => a.at - b.at);
  lines.push(...events.map((e) => e.line));
  if (!r.pages.length) lines.push('  (no page reached the recorder)');
  if (r.ack)
    lines.push(
      `  after the ack: ${r.pagesAfterAck ? `${r.pagesAfterAck} more page(s)` : 'no page'} reached the recorder` +
        ` up to ${formatOffset(r.watchedUntilSeconds)}`,
    );
  lines.push(`  ${formatOffset(r.watchedUntilSeconds).padStart(7)}  END    ${r.ended}`);
  return lines;
}

export function renderRecoveryRehearsal(r: RecoveryRehearsal): string[] {
  const wait = r.input.maxWaitSeconds ? `, max wait ${formatOffset(r.input.maxWaitSeconds)}` : ' (workflow default max wait)';
  const recovers = r.input.recoverAtSeconds !== undefined ? `, target recovers at ${formatOffset(r.input.recoverAtSeconds)}` : ', target never recovers';
  const e = r.escalation;
  const escalated = e ? `; escalated at ${formatOffset(e.atSeconds)} with dedup ${e.dedupKey} (page ${e.pageOutcome})` : '';
  const lines = [`Recovery rehearsal: recoveryWorkflow, class ${r.incidentClass}${wait}${recovers}`, `  ${r.isolation.statement}`, `  ${r.simulated}`];
  const events: Array<{ at: number; line: string }> = [
    ...r.timeline.map((t) => ({
      at: t.atSeconds,
      line: `  ${formatOffset(t.atSeconds).padStart(7)}  ${t.step}${t.detail ? `: ${t.detail}` : ''}`,
    })),
    ...r.pages.map((p) => ({ at: p.atSeconds, line: pageLine({ ...p }) })),
  ];
  events.sort((a, b) => a.at - b.at);
  lines.push(...events.map((e) => e.line));
  lines.push(`  maximum wait ends at ${formatOffset(r.deadlineSeconds)}`);
  lines.push(`  outcome: ${r.outcome} after ${r.cycles} probe cycle(s)${escalated}`);
  return lines;
}
