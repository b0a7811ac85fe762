/**
 * Entry of the sandbox process: `node dist/sandbox/main.js --config <file>`. Runs in the
 * foreground until SIGTERM/SIGINT or `POST /control/stop`, which flush state and exit 0.
 * `drill sandbox start` spawns this detached (src/sandbox/control.ts).
 */
import { loadSandboxConfig } from './config';
import { Sandbox } from './sandbox';

export async function runSandboxMain(argv: string[]): Promise<void> {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : undefined;
  if (!file) {
    process.stderr.write('usage: node dist/sandbox/main.js --config <sandbox-config.json>\n');
    process.exit(2);
  }
  let sandbox: Sandbox;
  try {
    sandbox = new Sandbox(loadSandboxConfig(file));
  } catch (err) {
    process.stderr.write(`drill-sandbox: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const exitAfterStop = (via: string) => {
    sandbox.stop(via).then(
      () => process.exit(0),
      (err) => {
        sandbox.log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  sandbox.onStopRequest = exitAfterStop;
  // `on`, not `once`: a repeated SIGTERM (a retried stop) must not kill a draining process outright;
  // the stop is idempotent.
  process.on('SIGTERM', () => exitAfterStop('SIGTERM'));
  process.on('SIGINT', () => exitAfterStop('SIGINT'));
  try {
    await sandbox.start();
  } catch (err) {
    if (sandbox.isStopping()) return;
    sandbox.log.error({ err }, 'sandbox failed to start');
    process.stderr.write(`drill-sandbox: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void runSandboxMain(process.argv.slice(2));
