/**
 * What one recovery cycle reads from a target, for the two places that read it: the recovery decision
 * tree's cycles (`recoveryCycles`) and the incident's one-off probe (`recoveryProbe`): the
 * reconciliation files, the bar validation, the broker's health. The decision itself is in
 * domain/recovery.ts.
 */
import { type OrderReconciliationEvent } from '../domain/artifacts';
import { type DataQualityProbe, type ReconciliationObservation } from '../domain/recovery';
import { initialSloState, type SloState } from '../domain/slo-fold';
import { type TargetConfig } from '../domain/target';
import { foldRunArtifacts, snapshotRunArtifacts, type RunArtifactCursors } from '../io/run-artifact-fold';
import { type BrokerHealthResult } from './broker';
import { checkMarketData, type MarketDataCheck } from './market-data';

export interface ReconciliationReading extends ReconciliationObservation {
  /** The two reconciliation files' cursors only. */
  cursors: Pick<RunArtifactCursors, 'orderReconciliation' | 'positionReconciliation'>;
  lastOrder: Pick<OrderReconciliationEvent, 'cycle' | 'status' | 'mismatched_order_ids' | 'broker_status' | 'stuck_transitions'> | null;
  /** Lines of the two reconciliation files that did not parse. */
  corrupt: number;
}

/** The reconciliation files since `cursors`, one event at most, folded into `state`. */
export async function readReconciliation(dir: string, cursors: RunArtifactCursors, state: SloState): Promise<ReconciliationReading> {
  const r = await foldRunArtifacts(dir, cursors, state, { maxEvents: 1 });
  const o = r.lastOrderReconciliation;
  return {
    // Only the reconciliation cursors move: the other files are the watcher's business.
    cursors: { orderReconciliation: r.cursors.orderReconciliation, positionReconciliation: r.cursors.positionReconciliation },
    state: { ...r.state, incidents: initialSloState().incidents },
    lastOrder: o
      ? {
          cycle: o.cycle,
          status: o.status,
          mismatched_order_ids: o.mismatched_order_ids,
          ...(o.broker_status ? { broker_status: o.broker_status } : {}),
          ...(o.stuck_transitions !== undefined ? { stuck_transitions: o.stuck_transitions } : {}),
        }
      : null,
    corrupt: (r.files.orderReconciliation?.corrupt ?? 0) + (r.files.positionReconciliation?.corrupt ?? 0),
  };
}

export interface DataQualityReading extends DataQualityProbe {
  market: Pick<MarketDataCheck, 'reachable' | 'errors' | 'staleWarnings' | 'issues'>;
}

/** Our validation of the target's latest bars and the target's own latest quality cycle. */
export async function readDataQuality(t: TargetConfig, dir: string): Promise<DataQualityReading> {
  const [market, snap] = await Promise.all([checkMarketData(t), snapshotRunArtifacts(dir, { lines: 1 })]);
  const l = snap.dataQualityLatest;
  return {
    validation: market.reachable ? { errors: market.errors, staleWarnings: market.staleWarnings, symbols: market.symbols.length, issues: market.issues } : null,
    latest: l.ok ? { cycle: l.value.cycle, errors: l.value.errors, stale_warnings: l.value.stale_warnings } : null,
    market: { reachable: market.reachable, errors: market.errors, staleWarnings: market.staleWarnings, issues: market.issues },
  };
}

export interface BrokerHealthReading {
  healthy: boolean;
  apiOk: boolean;
  websocketOk: boolean;
  /** What failed, API then websocket. */
  detail?: string;
}

/** The broker's API and websocket health in brief. */
export function brokerHealthReading(b: BrokerHealthResult): BrokerHealthReading {
  const detail = [b.api.error, b.websocket.error].filter(Boolean).join('; ');
  return { healthy: b.healthy, apiOk: b.api.ok, websocketOk: b.websocket.ok, ...(detail ? { detail } : {}) };
}
