/**
 * Histogram buckets of the product metrics, in seconds (the SDK's default buckets are for
 * milliseconds): installed with the worker's Prometheus exporter (`src/worker.ts`).
 */
export const PRODUCT_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  drill_rto_seconds: [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600],
  drill_ack_latency_seconds: [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
};
