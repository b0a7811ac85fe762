/**
 * The real CLI entry (`main` of src/cli.ts, what bin/drill.js runs) in-process, set up so that doing
 * anything can be seen: a temp folder with the results and state folders, a targets file whose one
 * target (`paper-1`) is unreachable, and TEMPORAL_ADDRESS on a loopback listener that counts
 * connections. For tests of what the CLI must refuse before it connects or writes.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli';
import { writeUnreachableTargetsFile } from './hostile';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface OfflineCli {
  dir: string;
  /** Runs `drill <args>`; throws when it connected to the Temporal address or created or changed a file. */
  runTouchingNothing(args: string[], where?: string): Promise<CliRun>;
  /** Restores the environment, closes the listener, removes the folder. */
  close(): Promise<void>;
}

/** Every file under the folder with its size and mtime. */
function snapshot(root: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else {
        const st = fs.statSync(p);
        out.push(`${p} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(root);
  return out.sort().join('\n');
}

/** `folders` (relative to the temp folder) are created first; `results` and `state` always are. */
export async function startOfflineCli(prefix: string, folders: string[] = []): Promise<OfflineCli> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  for (const f of ['results', 'state', ...folders]) fs.mkdirSync(path.join(dir, f), { recursive: true });
  writeUnreachableTargetsFile(dir, port);
  const env: Record<string, string | undefined> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_NAMESPACE: 'default',
    DRILL_RESULTS_DIR: path.join(dir, 'results'),
    DRILL_STATE_DIR: path.join(dir, 'state'),
    DRILL_TARGETS_FILE: path.join(dir, 'targets.json'),
    DRILL_SANDBOX_CONFIG: undefined,
    DRILL_LOG_LEVEL: 'silent',
    DRILL_LOG_PRETTY: 'false',
    GITHUB_STEP_SUMMARY: undefined,
    TEMPORAL_API_KEY: undefined,
    TEMPORAL_PROFILE: undefined,
    TEMPORAL_CONFIG_FILE: path.join(dir, 'no-such-profile.toml'),
  };
  for (const k of Object.keys(process.env)) if (k.startsWith('SLO_')) env[k] = undefined;
  const saved: Record<string, string | undefined> = {};
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  for (const k of Object.keys(env)) saved[k] = process.env[k];
  set(env);
  return {
    dir,
    async runTouchingNothing(args, where = `drill ${args.join(' ')}`) {
      const out: string[] = [];
      const err: string[] = [];
      const conns = connections;
      const before = snapshot(dir);
      const code = await main(['node', 'drill', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
      const run = { code, out: out.join('\n'), err: err.join('\n') };
      if (connections !== conns) throw new Error(`${where}: connected to Temporal (exit ${code})\n${run.err}`);
      const after = snapshot(dir);
      if (after !== before) throw new Error(`${where}: files changed (exit ${code}):\n${after}\n---\n${before}`);
      return run;
    },
    async close() {
      set(saved);
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
