/**
 * Every `ApplicationFailure` type drill-runner throws, in one place. Activities and workflows throw
 * with these, activity retry policies name them in `nonRetryableErrorTypes`, and callers compare
 * against them. Pure constants: imported by workflow code (bundled into the sandbox), so no imports.
 *
 * The strings are part of recorded histories and of what operators see: never rename one.
 */
export const FAILURE = {
  // Input and configuration
  /** Bad workflow input, update/signal payload or activity input (workflows' validation, most activities). Never retried. */
  invalidInput: 'InvalidInput',
  /** The target name is not in the targets file (target activities). Never retried. */
  unknownTarget: 'UnknownTarget',
  /** The target's entry in the targets file is unusable (target and process-control activities). Never retried. */
  invalidTargetConfig: 'InvalidTargetConfig',
  /** The run folder named by the run id does not exist (promotion evidence activities). Never retried. */
  runNotFound: 'RunNotFound',

  // The target contract (gateway, /stats, kill switch, faults)
  /** The target's reply does not match the target contract (gateway and runtime-state activities). Never retried. */
  contractViolation: 'ContractViolation',
  /** The gateway could not be reached (gateway, runtime-state and chaos activities). Retryable. */
  gatewayUnreachable: 'GatewayUnreachable',
  /** The gateway answered 5xx or an unexpected status (gateway, runtime-state and chaos activities). Retryable. */
  gatewayUnavailable: 'GatewayUnavailable',
  /** The kill switch answered a non-200, non-5xx status (gateway activity). Never retried. */
  killSwitchRejected: 'KillSwitchRejected',
  /** Entries still released after a halt (halt-registry activity). Retryable. */
  haltNotApplied: 'HaltNotApplied',

  // Chaos (fault injection)
  /** The target declares no way to inject or clear that fault (chaos activity). Never retried. */
  chaosUnsupported: 'ChaosUnsupported',
  /** The target's fault endpoint rejected the request (chaos activity). Never retried. */
  chaosRejected: 'ChaosRejected',
  /** A fault command timed out or exited non-zero (chaos activity). Retryable. */
  chaosCommandFailed: 'ChaosCommandFailed',

  // Process control (stop and start of the target)
  /** Still running or answering after the stop's timeout (process-control activity). Retryable. */
  processStopTimeout: 'ProcessStopTimeout',
  /** The stop was answered with an error, or health still answers after it (process-control activity). Retryable. */
  processStopFailed: 'ProcessStopFailed',
  /** The stop did not complete within the drill's bound (process-control activity). Never retried. */
  processStopIncomplete: 'ProcessStopIncomplete',
  /** A stop or start command timed out (process-control activity). Retryable. */
  processCommandTimeout: 'ProcessCommandTimeout',
  /** A stop or start command exited non-zero (process-control activity). Retryable. */
  processCommandFailed: 'ProcessCommandFailed',

  // Paging
  /** The paging webhook could not be reached or answered a retryable status (paging activities). Retryable. */
  pageUndelivered: 'PageUndelivered',
  /** The paging webhook rejected the page with a final 4xx (paging activities). Never retried. */
  pageRejected: 'PageRejected',
  /**
   * A run-file watch turned away by a worker whose watch slots are full (ack timer's watch activity).
   * Retryable, with the failure's own delay: the look is repeated as a retry of the same activity.
   */
  watchBusy: 'WatchBusy',

  // Evidence and reports
  /** The audit log's hash chain is broken (report and sign-off activities). Never retried. */
  auditChainBroken: 'AuditChainBroken',
  /** Gathering the promotion evidence failed without a type of its own (promotionGateWorkflow). Never retried. */
  evidenceError: 'EvidenceError',
  /** Evaluating the promotion verdict threw (promotionGateWorkflow). Never retried. */
  verdictError: 'VerdictError',

  // Workflow outcomes
  /** An update to an incident that is already resuming, resolved or closed elsewhere (incidentWorkflow). Never retried. */
  incidentClosed: 'IncidentClosed',
  /** A sign-off sent to a drill already signed off, or past its expiry (drillSignOffWorkflow's validator). Never retried. */
  signOffClosed: 'SignOffClosed',
  /** An incident out of recovery attempts (incidentWorkflow). Never retried. */
  tooManyAttempts: 'TooManyAttempts',
  /** The drill ran and failed a check (weeklyDrillWorkflow). Never retried. */
  drillFailed: 'DrillFailed',
  /** Preflight refused to start the drill (weeklyDrillWorkflow). Never retried. */
  drillRefused: 'DrillRefused',
  /** A stop condition ended the drill early (weeklyDrillWorkflow). Never retried. */
  drillStopCondition: 'DrillStopCondition',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];
