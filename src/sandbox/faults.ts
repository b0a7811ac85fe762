/**
 * The sandbox's fault injection: which faults are active, the faults file that carries the
 * persistent ones across restarts, and inject / clear requests with their ground-truth lines. What a
 * fault does lives where it acts (simulator.ts, http.ts, the lifecycle in sandbox.ts).
 */
import fs from 'node:fs';
import { type Logger } from 'pino';
import { faultRequestSchema, faultsFileSchema, PERSISTENT_FAULTS, type ActiveFault, type FaultName } from '../domain/target';
import { issueLines } from '../domain/validation-kit';
import { writeFileAtomic } from '../io/files';
import { type GroundTruth } from './ground-truth';
import { HttpError } from './http';

/** What a fault request changed; the caller runs the effects (killing sockets, restarting loops). */
export interface FaultChange {
  changed: boolean;
  /** The fault newly injected (or injected with other seconds). */
  injected?: FaultName;
  /** The faults cleared. */
  cleared: FaultName[];
}

export class SandboxFaults {
  private readonly active = new Map<FaultName, ActiveFault>();

  constructor(
    private readonly file: string,
    private readonly truth: GroundTruth,
    private readonly log: Logger,
  ) {}

  has(fault: FaultName): boolean {
    return this.active.has(fault);
  }

  get(fault: FaultName): ActiveFault | undefined {
    return this.active.get(fault);
  }

  list(): ActiveFault[] {
    return [...this.active.values()];
  }

  /** Faults of the faults file (those injected before a restart); an invalid file is ignored. */
  load(): void {
    try {
      const parsed = faultsFileSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      if (parsed.success) for (const f of parsed.data.faults) this.active.set(f.fault, f);
      else this.log.warn({ problems: parsed.error.issues.map((i) => i.message) }, 'faults file ignored');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err }, 'faults file unreadable; ignored');
    }
  }

  private async save(): Promise<void> {
    const faults = [...this.active.values()].filter((f) => PERSISTENT_FAULTS.includes(f.fault));
    await writeFileAtomic(this.file, `${JSON.stringify({ faults }, null, 2)}\n`);
  }

  /** Applies a `POST /faults` body (inject or clear); an invalid one is an HTTP 400. */
  async apply(raw: unknown): Promise<FaultChange> {
    const req = faultRequestSchema.safeParse(raw);
    if (!req.success) throw new HttpError(400, 'invalid fault request', issueLines(req.error, { root: '(body)', rootWhenBlank: true }));
    const r = req.data;
    if (r.action === 'inject') {
      const existing = this.active.get(r.fault);
      const f: ActiveFault = {
        fault: r.fault,
        injected_at: new Date().toISOString(),
        ...(r.fault === 'slow_restart' || r.fault === 'slow_drain' ? { seconds: r.seconds ?? 5 } : r.seconds !== undefined ? { seconds: r.seconds } : {}),
      };
      const changed = !existing || existing.seconds !== f.seconds;
      if (changed) {
        this.active.set(r.fault, f);
        if (PERSISTENT_FAULTS.includes(r.fault)) await this.save();
        this.truth.record('fault_injected', { fault: r.fault, ...(f.seconds !== undefined ? { seconds: f.seconds } : {}) });
        this.log.warn({ fault: r.fault, seconds: f.seconds }, 'fault injected');
        return { changed, injected: r.fault, cleared: [] };
      }
      return { changed, cleared: [] };
    }
    const names = r.fault === 'all' ? [...this.active.keys()] : this.active.has(r.fault) ? [r.fault] : [];
    for (const name of names) {
      this.active.delete(name);
      this.truth.record('fault_cleared', { fault: name });
      this.log.info({ fault: name }, 'fault cleared');
    }
    if (names.some((n) => PERSISTENT_FAULTS.includes(n))) await this.save();
    return { changed: names.length > 0, cleared: names };
  }
}
