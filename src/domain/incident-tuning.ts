/**
 * The bounds of an incident's tuning, in one place. The incident workflow's input, the tuning the
 * alert watcher hands to every incident it opens, the recovery the incident starts and triage take
 * the same fields: a value one of them accepts and the next refuses would fail an incident half-way.
 * Each user adds its own default or `optional()`.
 */
import { z } from 'zod';
import { WEEK_SECONDS } from './ack-timer';

/** Seconds between recovery probes (one activity per cycle). */
export const cycleSecondsSchema = z.number().positive().max(3600);
/** Past this a recovery escalates (pages) and stays halted. */
export const maxWaitSecondsSchema = z.number().positive().max(WEEK_SECONDS);
/** The ack SLA of the incident's ack timer (`incidentAckWorkflow` takes the same bounds). */
export const ackSlaSecondsSchema = z.number().int().positive().max(WEEK_SECONDS);
/** Breaches older than this before the incident opened do not decide its class (triage). */
export const evidenceWindowSecondsSchema = z.number().int().min(10).max(WEEK_SECONDS);
