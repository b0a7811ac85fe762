/** Activity options as a few named profiles, declared once. */
import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import { FAILURE } from '../domain/failure-types';

/** A short call to a local file or loopback service. */
export const shortIo: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/** Paging: retried with backoff until delivered; a 4xx rejection is non-retryable. */
export const paging: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [FAILURE.pageRejected, FAILURE.invalidInput],
  },
};

/**
 * The ack timer's pages: retried with backoff for up to a day (a 4xx rejection is final). Each attempt
 * heartbeats, so an ack cancels a POST in flight within seconds, and the ack waits until the
 * cancellation has landed: once `acknowledge` returns, no attempt is running and none will start.
 */
export const pageDelivery: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  // A receiver down for a day: the page is recorded failed (later levels and repeats page on their own).
  scheduleToCloseTimeout: '1 day',
  heartbeatTimeout: '5 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [FAILURE.pageRejected, FAILURE.invalidInput],
  },
};

/** `acknowledge` / `resolve` to the receivers that were paged: retried with backoff for up to a day. */
export const pageLifecycle: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 day',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: [FAILURE.pageRejected, FAILURE.invalidInput],
  },
};

/**
 * The ack timer's watch on the run file: holds up to an hour while heartbeating. A cancelled watch is
 * abandoned at once (it stops at its next heartbeat); a retried one resumes from its last cursor.
 */
export const fileWatch: ActivityOptions = {
  startToCloseTimeout: '65 minutes',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [FAILURE.invalidInput] },
};

/** Reading a whole run's artifacts or writing an evidence bundle: may take minutes on big files; heartbeats per read. */
export const evidenceIo: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FAILURE.invalidInput, FAILURE.runNotFound],
  },
};

/** One probe of outside state per cycle (gateway, artifacts, bars, broker): bounded, retried briefly; the next cycle tries again. */
export const probe: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FAILURE.invalidInput, FAILURE.unknownTarget, FAILURE.invalidTargetConfig],
  },
};

/** Stopping or starting the target process: can take a while (graceful flush, slow start). */
export const processOps: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FAILURE.invalidInput, FAILURE.unknownTarget, FAILURE.invalidTargetConfig],
  },
};

/** The weekly drill's probes and keyed target calls: a few quick retries, then the step decides. */
export const drillProbe: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 4,
    nonRetryableErrorTypes: [
      FAILURE.invalidInput,
      FAILURE.unknownTarget,
      FAILURE.invalidTargetConfig,
      FAILURE.contractViolation,
      FAILURE.chaosUnsupported,
      FAILURE.chaosRejected,
      FAILURE.killSwitchRejected,
    ],
  },
};

/**
 * Chaos inject and clear through the contract (keyed): they heartbeat every second while the target
 * acts (a shell fault command may take up to its timeoutSeconds), so a dead worker's call is retried
 * within seconds, not after a minute with the fault left active.
 */
export const chaosFault: ActivityOptions = {
  startToCloseTimeout: '61 minutes',
  heartbeatTimeout: '10 seconds',
  retry: drillProbe.retry,
};

/**
 * The weekly drill's waits (serving again, recovery evidence, chaos detection and recovery): one long
 * poll per slice of up to 30 minutes, heartbeating, so a dead worker's wait resumes on another within
 * 10 s and a cancelled drill stops waiting at once.
 */
export const drillWait: ActivityOptions = {
  startToCloseTimeout: '35 minutes',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { ...drillProbe.retry, maximumAttempts: 6 },
};

/**
 * A chaos scenario's inject, detection wait and clear in one heartbeating call (`drill-chaos-one-call`):
 * room for a keyed inject and a keyed clear at their longest (a shell fault command may take up to an
 * hour each) around one wait slice; a dead worker's call is retried within 10 s, keyed.
 */
export const chaosCourse: ActivityOptions = {
  ...drillWait,
  startToCloseTimeout: '155 minutes',
};

/** The weekly drill's graceful stop and start (keyed by drill id): heartbeats while waiting for the process. */
export const drillProcess: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FAILURE.invalidInput, FAILURE.unknownTarget, FAILURE.invalidTargetConfig],
  },
};

// Incidents, recoveries and the halt registry: crash-fast. A dead worker's activity is retried on
// another within seconds (heartbeats every second; 5 s heartbeat timeout), never after a minute.
const TARGET_ERRORS = [FAILURE.invalidInput, FAILURE.unknownTarget, FAILURE.invalidTargetConfig, FAILURE.contractViolation, FAILURE.killSwitchRejected];

/** One halt-registry call at the gateway (stats, then halt or resume): short, retried a few times. */
export const haltCall: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 6,
    nonRetryableErrorTypes: TARGET_ERRORS,
  },
};

/** Triage and the watcher's cycle: heartbeating reads, retried promptly after a worker crash. */
export const crashFastRead: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: TARGET_ERRORS,
  },
};

/** The recovery's stop and start of the target (keyed): heartbeats every second while they wait. */
export const crashFastProcess: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 8,
    nonRetryableErrorTypes: TARGET_ERRORS,
  },
};

/**
 * The weekly drill's short reads and keyed or overwriting writes as local activities (since
 * `patched('drill-fast-orchestration')`): they run on the worker inside the workflow task that needs
 * them, so a drill no longer pays one server round trip (an activity task and a workflow task) for
 * each. Same timeouts and retries as the profile they replace. Crash-safe only for calls that may run
 * again: a local activity whose workflow task is lost is executed again by the next worker.
 */
export const drillProbeLocal: LocalActivityOptions = { startToCloseTimeout: drillProbe.startToCloseTimeout, retry: drillProbe.retry };
/** {@link shortIo} as a local activity (see {@link drillProbeLocal}). */
export const shortIoLocal: LocalActivityOptions = { startToCloseTimeout: shortIo.startToCloseTimeout, retry: shortIo.retry };
