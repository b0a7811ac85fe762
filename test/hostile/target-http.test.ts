/**
 * Hostile answers from a target, generated (issue 11.4): what the gateway (`/stats`, the kill switch),
 * the sandbox's health endpoint, the broker's `/health` and the runtime state file can say, from a
 * valid answer with one field mutated or removed to any JSON, text, invalid UTF-8, an empty body and
 * odd statuses. The real adapters (the activity functions the worker registers) read each answer
 * from a loopback HTTP server in this process. Each case: a result whose fields have their declared
 * types, or an `ApplicationFailure` of a declared type (a contract violation names the field);
 * never another exception; the state file is never written.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ApplicationFailure } from '@temporalio/common';
import { createBrokerActivities } from '../../src/activities/broker';
import { createGatewayActivities } from '../../src/activities/gateway';
import { createProcessControlActivities } from '../../src/activities/process-control';
import { createRuntimeStateActivities } from '../../src/activities/runtime-state';
import type { TargetActivityDeps } from '../../src/activities/target-input';
import { parseTargets, staticTargetResolver } from '../../src/io/targets';
import { stateDigest } from '../../src/io/runtime-state-file';
import { checkHostile, nastyJson, nastyString } from '../helpers/hostile';

interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
}
let reply: Reply = { status: 200, contentType: 'application/json', body: Buffer.from('{}') };
let server: http.Server;
let dir: string;
let deps: TargetActivityDeps;
const STATE_FILE = 'state/runtime_state.json';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': reply.contentType });
      res.end(reply.status === 204 || reply.status === 304 ? undefined : reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-http-'));
  fs.mkdirSync(path.join(dir, 'state'));
  const target = (process: object) => ({
    mode: 'paper',
    artifactsRoot: 'runs',
    runId: 'paper-1',
    auditLogsDir: 'audit_logs',
    gatewayUrl: url,
    process,
    stateFile: STATE_FILE,
    broker: { apiUrl: url, wsUrl: `${url.replace('http', 'ws')}/ws` },
    symbols: ['AAPL'],
  });
  const targets = parseTargets({ targets: { t1: target({ adapter: 'sandbox', controlUrl: url }) } }, dir);
  deps = { targets: staticTargetResolver(targets), opsDir: path.join(dir, 'ops') };
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server?.closeAllConnections();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Path = Array<string | number>;
function paths(v: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...paths(x, [...prefix, i])]);
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...paths(x, [...prefix, k])]);
  return [];
}
function setAt(v: unknown, p: Path, value: unknown, remove: boolean): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of p.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  if (remove) delete node[p[p.length - 1]!];
  else node[p[p.length - 1]!] = value;
  return copy;
}

/** A JSON-safe hostile value (what can arrive in an HTTP body). */
const wireValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  nastyString,
  nastyJson.map((v) => {
    try {
      return JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
    } catch {
      return null;
    }
  }),
);

interface BodyCase {
  status: number;
  contentType: string;
  /** Set when the body is the valid answer with one field changed: that field's path. */
  mutated?: Path;
  body: Buffer;
}

function answerArb(valid: Record<string, unknown>): fc.Arbitrary<BodyCase> {
  const all = paths(valid);
  const status = fc.oneof(
    { weight: 8, arbitrary: fc.constant(200) },
    { weight: 2, arbitrary: fc.constantFrom(201, 202, 204, 301, 400, 401, 404, 409, 429, 500, 502, 503) },
  );
  const contentType = fc.constantFrom('application/json', 'text/plain', 'text/html; charset=utf-8', 'application/octet-stream', '');
  const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? '');
  const body: fc.Arbitrary<{ mutated?: Path; body: Buffer }> = fc.oneof(
    { weight: 2, arbitrary: fc.constant({ body: json(valid) }) },
    {
      weight: 6,
      arbitrary: fc.record({ p: fc.constantFrom(...all), v: wireValue }).map(({ p, v }) => ({ mutated: p, body: json(setAt(valid, p, v, false)) })),
    },
    { weight: 2, arbitrary: fc.constantFrom(...all).map((p) => ({ mutated: p, body: json(setAt(valid, p, undefined, true)) })) },
    { weight: 2, arbitrary: wireValue.map((v) => ({ body: json(v) })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ body: Buffer.from(s) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ body: Buffer.from(b) })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(Buffer.alloc(0), Buffer.from('null'), Buffer.from('{"halt_reason":'), Buffer.from(`{"pad":"${'x'.repeat(300_000)}"}`))
        .map((b) => ({ body: b })),
    },
  );
  return fc.record({ status, contentType, b: body }).map(({ status: s, contentType: c, b }) => ({ status: s, contentType: c, ...b }));
}

const T = '2026-11-25T03:00:00.000Z';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const STATS = {
  halt_reason: null,
  trading_halted_until: null,
  entries_halted: false,
  mode: 'paper',
  run_id: 'paper-1',
  runtime_state: { restored: true, restored_seq: 5, restored_digest: DIGEST, restore_error: null, last_save_at: T, last_save_seq: 5, last_save_digest: DIGEST },
};

/** A refusal names the mutated field (any segment of its path) when the answer was the valid one with one field changed. */
function expectNamed(message: string, c: BodyCase): void {
  if (!c.mutated || c.status !== 200) return;
  if (!c.mutated.some((s) => message.includes(String(s)))) throw new Error(`does not name ${c.mutated.join('.')}: ${message}`);
}

function expectFailure(err: unknown, types: string[], c: BodyCase): string {
  if (!(err instanceof ApplicationFailure)) throw new Error(`not an ApplicationFailure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  if (!types.includes(err.type ?? '')) throw new Error(`unexpected failure type ${err.type}: ${err.message}`);
  if (err.type === 'ContractViolation') expectNamed(err.message, c);
  return err.type!;
}

const isIsoOrNull = (v: unknown) => v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)));

test('gateway /stats: a result with typed fields, or GatewayUnavailable / ContractViolation naming the field', async () => {
  const gw = createGatewayActivities(deps);
  await checkHostile({
    boundary: 'target-http/gateway-stats',
    through: 'gatewayStats activity (src/activities/gateway.ts) over real HTTP',
    checks: ['never an exception other than ApplicationFailure of a declared type', 'a contract violation names the field', 'a result has typed fields'],
    test: 'test/hostile/target-http.test.ts',
    arbitrary: answerArb(STATS),
    run: async (c) => {
      reply = c;
      try {
        const r = await gw.gatewayStats({ target: 't1', timeoutMs: 5000 });
        expect(typeof r.entriesHalted).toBe('boolean');
        expect(r.haltReason === null || typeof r.haltReason === 'string').toBe(true);
        expect(isIsoOrNull(r.tradingHaltedUntil)).toBe(true);
        return 'answered';
      } catch (err) {
        return expectFailure(err, ['ContractViolation', 'GatewayUnavailable'], c);
      }
    },
  });
});

test('gateway kill switch (halt): the reply checked like /stats; a rejection explained whatever its body', async () => {
  const gw = createGatewayActivities(deps);
  await checkHostile({
    boundary: 'target-http/gateway-kill-switch',
    through: 'gatewayHalt activity (src/activities/gateway.ts) over real HTTP',
    checks: ['never an exception other than ApplicationFailure of a declared type', 'a contract violation names the field', 'changed is a boolean'],
    test: 'test/hostile/target-http.test.ts',
    arbitrary: fc.oneof(
      answerArb({ ...STATS, entries_halted: true, halt_reason: 'drill', changed: true }),
      answerArb({ error: 'rejected', issues: ['reason: too long'] }).map((c) => ({ ...c, status: 400, mutated: undefined })),
    ),
    run: async (c) => {
      reply = c;
      try {
        const r = await gw.gatewayHalt({ target: 't1', reason: 'hostile suite', idempotencyKey: 'k1', timeoutMs: 5000 });
        expect(typeof r.changed).toBe('boolean');
        expect(typeof r.entriesHalted).toBe('boolean');
        return 'answered';
      } catch (err) {
        return expectFailure(err, ['ContractViolation', 'GatewayUnavailable', 'KillSwitchRejected'], c);
      }
    },
  });
});

test('runtime state verify-restore (/stats runtime_state): matches is a boolean with a reason, or a declared failure', async () => {
  const rs = createRuntimeStateActivities(deps);
  await checkHostile({
    boundary: 'target-http/runtime-state-restore',
    through: 'runtimeStateVerifyRestore activity (src/activities/runtime-state.ts) over real HTTP',
    checks: [
      'never an exception other than ApplicationFailure of a declared type',
      'a contract violation names the field',
      'matches only when digest (and seq) equal',
    ],
    test: 'test/hostile/target-http.test.ts',
    arbitrary: answerArb(STATS),
    run: async (c) => {
      reply = c;
      try {
        const r = await rs.runtimeStateVerifyRestore({ target: 't1', expectedDigest: DIGEST, expectedSeq: 5, timeoutMs: 5000 });
        expect(typeof r.matches).toBe('boolean');
        expect(typeof r.reason).toBe('string');
        if (r.matches) expect({ digest: r.restoredDigest, seq: r.restoredSeq, restored: r.restored }).toEqual({ digest: DIGEST, seq: 5, restored: true });
        return r.matches ? 'matches' : 'does not match';
      } catch (err) {
        return expectFailure(err, ['ContractViolation', 'GatewayUnavailable'], c);
      }
    },
  });
});

test('broker /health and the sandbox health endpoint: unhealthy is an answer, never an exception; fields typed', async () => {
  const broker = createBrokerActivities(deps);
  const pc = createProcessControlActivities(deps);
  const BROKER = { status: 'ok', api_connected: true, ws_connected: true, last_message_at: T };
  const HEALTH = { status: 'ok', pid: 4242, boot_id: 'boot-1' };
  await checkHostile({
    boundary: 'target-http/health',
    through: 'brokerHealth (src/activities/broker.ts) and processHealth of the sandbox adapter (src/activities/process-control.ts) over real HTTP',
    checks: ['never throws', 'healthy only for a 200 answer that honours the contract', 'pid is a number and bootId a string when present'],
    test: 'test/hostile/target-http.test.ts',
    arbitrary: fc.oneof(
      answerArb(BROKER).map((c) => ({ c, which: 'broker' as const })),
      answerArb(HEALTH).map((c) => ({ c, which: 'process' as const })),
    ),
    run: async ({ c, which }) => {
      reply = c;
      if (which === 'broker') {
        const r = await broker.brokerHealth({ target: 't1', timeoutMs: 2000 });
        expect(typeof r.healthy).toBe('boolean');
        // The websocket is this HTTP server, which answers the upgrade with a plain response: never healthy.
        expect(r.healthy).toBe(false);
        if (r.api.ok) expect(c.status).toBe(200);
        if (!r.api.ok && c.status === 200 && c.mutated && r.api.error?.includes('does not honour')) expectNamed(r.api.error, c);
        return r.api.ok ? 'broker api ok' : 'broker api not ok';
      }
      const h = await pc.processHealth({ target: 't1', timeoutMs: 2000 });
      expect(typeof h.healthy).toBe('boolean');
      if (h.pid !== undefined) expect(Number.isInteger(h.pid)).toBe(true);
      if (h.bootId !== undefined) expect(typeof h.bootId).toBe('string');
      if (h.healthy) expect(c.status).toBe(200);
      return h.healthy ? 'process healthy' : 'process unhealthy';
    },
  });
});

test('runtime state file: any content gives exists/age/digest-valid or a named error; the file is never written', async () => {
  const rs = createRuntimeStateActivities(deps);
  const body = { positions: { AAPL: 10 }, cash: 1000 };
  const VALID = { saved_at: T, seq: 7, digest: stateDigest(body), body };
  const file = path.join(dir, STATE_FILE);
  await checkHostile({
    boundary: 'target-http/state-file',
    through: 'runtimeStateLastSave activity (src/activities/runtime-state.ts) over readStateFile (src/io/runtime-state-file.ts)',
    checks: [
      'never throws',
      'a bad file is exists: false with an error naming the field',
      'digestValid is true only when the digest matches the body',
      'the file is not modified',
    ],
    test: 'test/hostile/target-http.test.ts',
    arbitrary: answerArb(VALID),
    run: async (c) => {
      fs.writeFileSync(file, c.body);
      const r = await rs.runtimeStateLastSave({ target: 't1' });
      expect(fs.readFileSync(file).equals(c.body)).toBe(true);
      if (!r.exists) {
        if (c.mutated && r.error && r.error !== 'not JSON') expectNamed(r.error, { ...c, status: 200 });
        return 'unreadable';
      }
      expect(Number.isFinite(r.ageSeconds)).toBe(true);
      expect(Number.isInteger(r.seq)).toBe(true);
      expect(r.digestValid).toBe(r.computedDigest === r.digest);
      return r.digestValid ? 'valid digest' : 'digest mismatch';
    },
  });
});
