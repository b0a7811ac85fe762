/**
 * The promotion gate's verdict for people: `verdict.md` (also the CI step summary) and the terminal
 * table of `drill promote`. Pure string building over a {@link PromotionVerdict}.
 */
import type { PromotionCriterion, PromotionVerdict } from '../domain/promotion';

function formatSeconds(s: number): string {
  if (s < 120) return `${Math.round(s * 10) / 10} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

/** A criterion's value in its unit: `99.80%`, `12.0 min`, `2`, `pass`, `—` when missing. */
export function formatValue(v: number | string | null, unit: PromotionCriterion['unit']): string {
  if (v === null) return '—';
  if (typeof v === 'string') return v;
  if (unit === 'ratio') return `${(v * 100).toFixed(2)}%`;
  if (unit === 'seconds') return formatSeconds(v);
  return String(v);
}

export function formatThreshold(c: PromotionCriterion): string {
  return `${c.comparator} ${formatValue(c.threshold, c.unit)}`;
}

const MARK: Record<PromotionCriterion['verdict'], string> = { pass: '✅', fail: '❌', missing: '⚠️' };

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** `verdict.md` and the CI step summary. */
export function renderVerdictMarkdown(v: PromotionVerdict, opts: { bundleDir?: string } = {}): string {
  const lines: string[] = [];
  lines.push(`## Promotion gate: ${v.result === 'pass' ? '✅ PASS' : '❌ FAIL'}: experiment \`${v.experimentId}\`, run \`${v.runId}\``);
  lines.push('');
  lines.push(
    `${v.strict ? 'Strict' : 'Lenient'} gate evaluated at ${v.evaluatedAt}${v.target ? ` for target \`${v.target}\`` : ''}${v.workflow ? ` (workflow \`${v.workflow.workflowId}\`, run \`${v.workflow.runId}\`)` : ''}.`,
  );
  lines.push('');
  lines.push(`**${cell(v.summary)}**`);
  lines.push('');
  lines.push('| | Criterion | Measured | Threshold | Verdict | Evidence |');
  lines.push('|---|---|---|---|---|---|');
  for (const c of v.criteria) {
    const verdict = c.verdict === 'missing' && !v.strict ? 'missing (not enforced)' : c.verdict;
    lines.push(
      `| ${MARK[c.verdict]} | ${cell(c.label)} (\`${c.id}\`) | ${cell(formatValue(c.value, c.unit))} | ${cell(formatThreshold(c))} | ${verdict} | ${cell(c.evidence)} |`,
    );
  }
  if (v.missingEvidence.length) {
    lines.push('', `### Missing evidence${v.strict ? '' : ' (lenient: reported, not enforced)'}`, '');
    for (const m of v.missingEvidence) lines.push(`- ${m}`);
  }
  if (v.notes.length) {
    lines.push('', '### Notes', '');
    for (const n of v.notes) lines.push(`- ${n}`);
  }
  if (v.drill) lines.push('', `Latest drill: \`${v.drill.drillId}\` (${v.drill.target}), ${v.drill.result}, finished ${v.drill.finishedAt}.`);
  if (opts.bundleDir) lines.push('', `Evidence bundle: \`${opts.bundleDir}\` (verify with \`drill verify-bundle ${opts.bundleDir}\`).`);
  return `${lines.join('\n')}\n`;
}

/** The criteria as an aligned plain-text table (terminal). */
export function renderVerdictTable(v: PromotionVerdict): string {
  const rows = [
    ['criterion', 'measured', 'threshold', 'verdict'],
    ...v.criteria.map((c) => [
      c.id,
      formatValue(c.value, c.unit),
      formatThreshold(c),
      c.verdict === 'missing' && !v.strict ? 'missing (not enforced)' : c.verdict,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const out = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  return [
    `promotion gate ${v.result.toUpperCase()} (${v.strict ? 'strict' : 'lenient'}): experiment ${v.experimentId}, run ${v.runId}`,
    ...out,
    v.summary,
  ].join('\n');
}
