/** The promotion gate's experiment id (its own module so the gate's parts can share it without a cycle). */
import { z } from 'zod';
import { SAFE_ID } from './ids';

/** Same alphabet as run ids: the experiment id is a path segment and part of the workflow id. */
export const experimentIdSchema = z
  .string({ error: 'experiment id is required' })
  .min(1, { error: 'experiment id must not be empty' })
  .max(128, { error: 'experiment id must be at most 128 characters' })
  .regex(SAFE_ID, { error: 'experiment id may hold only letters, digits and _ . : - (not starting with . or -), and no path separators' });
