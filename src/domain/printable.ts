/**
 * Printable text, without zod (workflow code imports it): "printable" means no control characters
 * (C0, DEL, C1), no invisible format characters (bidi overrides, zero-width), no lone surrogates and
 * no line separators. The zod builders over these checks are in `text.ts`.
 */

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
/** Like {@link NOT_PRINTABLE} but newlines and tabs are fine (multi-line notes). */
const NOT_PRINTABLE_MULTILINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\p{Cf}\p{Cs}\u2028\u2029]/u;

export function isPrintable(text: string, { multiline = false } = {}): boolean {
  return !(multiline ? NOT_PRINTABLE_MULTILINE : NOT_PRINTABLE).test(text);
}

/**
 * Text from a file line written by anyone (the runbook's script, a person): never rejected (an ack is
 * an ack), made printable and bounded for display. Unprintable characters become `?`.
 */
export function sanitizeText(text: unknown, max: number, fallback: string): string {
  if (typeof text !== 'string') return fallback;
  const cleaned = [...text]
    .map((ch) => (NOT_PRINTABLE.test(ch) ? '?' : ch))
    .join('')
    .trim();
  if (!cleaned) return fallback;
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
