import { z } from 'zod';
import { typeError } from './text';
import { SAFE_ID, safeIdMessage } from './safe-id';

/** The safe alphabet (one home: `safe-id.ts`, zod-free for workflow code). */
export { SAFE_ID };

function safeId(what: string) {
  return z
    .string({ error: typeError(what, 'a string') })
    .min(1, { error: `${what} must not be empty` })
    .max(128, { error: `${what} must be at most 128 characters` })
    .regex(SAFE_ID, { error: safeIdMessage(what) });
}

export const runIdSchema = safeId('run id');
export const incidentIdSchema = safeId('incident id');
export const targetNameSchema = safeId('target name');
export const drillIdSchema = safeId('drill id');
