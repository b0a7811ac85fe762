/**
 * Text that people type and other people read (who acked, their notes, summaries): zod builders whose
 * messages say what is wrong. "Printable" means no control characters (C0, DEL, C1), no invisible
 * format characters (bidi overrides, zero-width), no lone surrogates and no line separators.
 */
import { z } from 'zod';
import { isPrintable } from './printable';

export { isPrintable, sanitizeText } from './printable';

/** `<what> is required` when absent, `<what> must be <expected>` when of another type. */
export function typeError(what: string, expected: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`);
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
