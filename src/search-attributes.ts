/**
 * Custom search attributes: how drills and incidents are found in the Web UI. One list, used by
 * the workflows (upserts), by `drill dev` (registers them on the embedded server) and by
 * docker-compose's setup (registers them on a real cluster).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  runId: defineSearchAttributeKey('DrillRunId', SearchAttributeType.KEYWORD),
  incidentId: defineSearchAttributeKey('DrillIncidentId', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('DrillState', SearchAttributeType.KEYWORD),
  target: defineSearchAttributeKey('DrillTarget', SearchAttributeType.KEYWORD),
  result: defineSearchAttributeKey('DrillResult', SearchAttributeType.KEYWORD),
  incidentClass: defineSearchAttributeKey('DrillIncidentClass', SearchAttributeType.KEYWORD),
  rtoSeconds: defineSearchAttributeKey('DrillRtoSeconds', SearchAttributeType.DOUBLE),
  rpoSeconds: defineSearchAttributeKey('DrillRpoSeconds', SearchAttributeType.DOUBLE),
} as const;

/** `Name=Type` pairs in the Temporal CLI's spelling (`--search-attribute`). */
export function searchAttributeCliArgs(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', DOUBLE: 'Double', INT: 'Int', BOOL: 'Bool', TEXT: 'Text', DATETIME: 'Datetime' };
  return Object.values(SA).map((k) => `${k.name}=${cliType[k.type] ?? 'Keyword'}`);
}
