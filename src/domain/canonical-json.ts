/**
 * Canonical JSON as RFC 8785 (JSON Canonicalization Scheme, JCS) defines it, so a digest over it is
 * the same bytes in every language (`docs/target-contract.md` §5.1, vectors in
 * `test/fixtures/rfc8785-vectors.json`):
 *
 * - no whitespace; literals `null`, `true`, `false`;
 * - numbers as ECMAScript's `Number.prototype.toString` writes an IEEE 754 double (shortest
 *   round-trip digits; `1e+21`, `1e-7`, `0.000001`; `-0` is `0`);
 * - strings with only `"` `\\` and the controls U+0000–U+001F escaped (`\b \t \n \f \r`, else
 *   `\u00xx` in lowercase hex); everything else as itself, UTF-8 encoded;
 * - object members sorted by their names as arrays of UTF-16 code units (JavaScript's `<` on strings).
 *
 * Pure: usable in workflow code. `rfc8785` is strict (refuses what is not I-JSON: lone surrogates,
 * NaN/Infinity, non-JSON values). `canonicalJson` gives the same text for every JSON value and, for
 * the few JavaScript values JSON has no text for, what `JSON.stringify` would have written
 * (`undefined` members dropped, non-finite numbers `null`, lone surrogates `\udxxx`), so hashes of
 * records built in code (the audit chain) match the line written for them.
 */

export class CanonicalJsonError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'CanonicalJsonError';
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** UTF-16 code-unit order (RFC 8785 §3.2.3); JavaScript compares strings exactly so. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function serialize(value: unknown, strict: boolean, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        if (strict) throw new CanonicalJsonError(`${value} is not a JSON number`, at);
        return 'null';
      }
      // JSON.stringify writes finite numbers with Number.prototype.toString (and -0 as 0): RFC 8785 §3.2.2.3.
      return JSON.stringify(value);
    case 'string':
      if (strict && LONE_SURROGATE.test(value)) throw new CanonicalJsonError('string holds a lone surrogate (not I-JSON)', at);
      // JSON.stringify's escaping is the one RFC 8785 §3.2.2.2 prescribes (ES2019 well-formed stringify).
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => (v === undefined && !strict ? 'null' : serialize(v, strict, `${at}[${i}]`))).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>);
      const kept = strict ? entries : entries.filter(([, v]) => v !== undefined);
      kept.sort(([a], [b]) => byCodeUnits(a, b));
      return `{${kept.map(([k, v]) => `${serialize(k, strict, at)}:${serialize(v, strict, at ? `${at}.${k}` : k)}`).join(',')}}`;
    }
    default:
      if (strict) throw new CanonicalJsonError(`${typeof value} is not a JSON value`, at);
      return 'null';
  }
}

/** RFC 8785 canonical text of an I-JSON value; throws {@link CanonicalJsonError} for anything else. */
export function rfc8785(value: unknown): string {
  return serialize(value, true, '');
}

/** RFC 8785 for JSON values; JSON.stringify's choices for the rest (never throws). */
export function canonicalJson(value: unknown): string {
  return serialize(value, false, '');
}
