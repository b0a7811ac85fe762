/**
 * The ground-truth log (`<stateDir>/ground_truth.jsonl`): what really happened and when, written
 * synchronously by the sandbox itself (a crash cannot lose the line before it), so the runner's
 * RTO/RPO measurements can be checked against it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { groundTruthEventSchema, type GroundTruthEvent } from '../domain/target';
import { parseJsonl } from '../io/files';

export class GroundTruth {
  constructor(
    readonly file: string,
    readonly bootId: string,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  record(
    event: GroundTruthEvent['event'],
    detail: Omit<Partial<GroundTruthEvent>, 'event' | 'ts' | 'pid' | 'boot_id'> = {},
    at: Date = new Date(),
  ): GroundTruthEvent {
    const line: GroundTruthEvent = { ts: at.toISOString(), event, pid: process.pid, boot_id: this.bootId, ...detail };
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    return line;
  }
}

export function readGroundTruth(file: string): GroundTruthEvent[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return parseJsonl(text, groundTruthEventSchema).records;
}
