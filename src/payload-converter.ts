/**
 * The payload converter of drill-runner's workers: the SDK's default, except that a payload it
 * cannot decode becomes an {@link UndecodablePayload} marker instead of an exception.
 *
 * Why: the SDK decodes a signal's arguments before any handler or interceptor runs, and a decoding
 * error there fails the workflow *task*, which the server retries forever: one
 * `temporal workflow signal --input-meta encoding=foo` wedged every workflow with a signal handler
 * (tried on the dev server). With the marker, the handler sees a value that the message parsers in
 * `workflows/validation.ts` reject by name ("could not be decoded"), so the signal is logged and
 * dropped, an update is rejected by its validator, and a workflow input fails the run as
 * `InvalidInput`. Encoding is unchanged: clients and other workers need nothing.
 *
 * Loaded inside the workflow sandbox (`payloadConverterPath`, at bundle time) and by the worker for
 * activities: no Node built-ins here.
 */
import { defaultPayloadConverter, type Payload, type PayloadConverter, type SerializationContext } from '@temporalio/common';

/** Brand of the marker: a string key, so it is recognised across module copies (no `instanceof`). */
export const UNDECODABLE_BRAND = '__drillRunnerUndecodablePayload';

/** What a payload the default converter could not decode turns into. */
export interface UndecodablePayload {
  readonly [UNDECODABLE_BRAND]: true;
  /** The payload's `encoding` metadata as sent (may be empty). */
  readonly encoding: string;
  /** The converter's error message (no payload bytes). */
  readonly error: string;
}

export function isUndecodable(value: unknown): value is UndecodablePayload {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[UNDECODABLE_BRAND] === true;
}

function encodingOf(payload: Payload): string {
  const raw = payload.metadata?.encoding;
  if (!raw) return '';
  // Metadata values are bytes; show printable ASCII only, bounded (it lands in log lines).
  return Array.from(raw.subarray(0, 64), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?')).join('');
}

class TolerantPayloadConverter implements PayloadConverter {
  toPayload<T>(value: T, context?: SerializationContext): Payload {
    return defaultPayloadConverter.toPayload(value, context);
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext): T {
    try {
      return defaultPayloadConverter.fromPayload<T>(payload, context);
    } catch (err) {
      const marker: UndecodablePayload = Object.freeze({
        [UNDECODABLE_BRAND]: true as const,
        encoding: encodingOf(payload),
        error: (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 200),
      });
      return marker as T;
    }
  }
}

/** Named `payloadConverter`: the export the SDK loads from `payloadConverterPath`. */
export const payloadConverter: PayloadConverter = new TolerantPayloadConverter();
