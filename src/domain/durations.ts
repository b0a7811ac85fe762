/** Seconds between two ISO timestamps: the one home of the helpers the domain modules share. */

/** Seconds from `fromIso` to `toIso`, never negative; `null` when either does not parse. */
export function secondsBetween(fromIso: string, toIso: string): number | null {
  const a = Date.parse(fromIso);
  const b = Date.parse(toIso);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, (b - a) / 1000) : null;
}

/** As {@link secondsBetween}, rounded to the millisecond; `null` also when either is missing or empty (drill figures). */
export function secondsBetweenMs(from?: string, to?: string): number | null {
  if (!from || !to) return null;
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) ? Math.round(Math.max(0, d) * 1000) / 1000 : null;
}
