/**
 * Text that people type and other people read (who acked, their notes, summaries): zod builders whose
 * messages say what is wrong. "Printable" means no control characters (C0, DEL, C1), no invisible
 * format characters (bidi overrides, zero-width), no lone surrogates and no line separators.
 */
import { z } from 'zod';

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
/** Like {@link NOT_PRINTABLE} but newlines and tabs are fine (multi-line notes). */
const NOT_PRINTABLE_MULTILINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\p{Cf}\p{Cs}\u2028\u2029]/u;

/** `<what> is required` when absent, `<what> must be <expected>` when of another type. */
export function typeError(what: string, expected: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`);
}

export function isPrintable(text: string, { multiline = false } = {}): boolean {
  return !(multiline ? NOT_PRINTABLE_MULTILINE : NOT_PRINTABLE).test(text);
}

/** An identity (who acked, who resolved): trimmed, 1..max characters, printable. */
export function identitySchema(what: string, max = 128) {
  return z
    .string({ error: typeError(what, 'a string') })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} must be at most ${max} characters` })
    .refine((v) => isPrintable(v), { error: `${what} must be printable (no control or invisible formatting characters)` });
}

/** Free text (notes, summaries): at most max characters, printable; newlines and tabs allowed when multiline. */
export function freeTextSchema(what: string, max: number, { multiline = false } = {}) {
  return z
    .string({ error: typeError(what, 'a string') })
    .max(max, { error: `${what} must be at most ${max} characters` })
    .refine((v) => isPrintable(v, { multiline }), {
      error: `${what} must be printable (no control or invisible formatting characters${multiline ? ' other than newlines and tabs' : ''})`,
    });
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
