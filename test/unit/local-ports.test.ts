import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { canListen, pickPortBelowEphemeralRange, portsBelowEphemeralRange } from '../../src/io/local-ports';
import { freePort } from '../helpers/process';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-ports-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the ports below the ephemeral range come from the kernel’s range file, else the IANA range', () => {
  fs.writeFileSync(path.join(dir, 'range'), '32768\t60999\n');
  expect(portsBelowEphemeralRange(path.join(dir, 'range'))).toEqual([15000, 32768]);
  expect(portsBelowEphemeralRange(path.join(dir, 'missing'))).toEqual([15000, 49152]);
  // A range starting too low leaves no band.
  fs.writeFileSync(path.join(dir, 'low'), '1024 65535\n');
  expect(portsBelowEphemeralRange(path.join(dir, 'low'))).toBeUndefined();
});

test('a picked port is below the ephemeral range and can be listened on; no band → 0, the kernel picks', async () => {
  const [lowest, below] = portsBelowEphemeralRange() ?? [1, 65536];
  for (const port of [await pickPortBelowEphemeralRange('127.0.0.1'), await freePort()]) {
    expect(port).toBeGreaterThanOrEqual(lowest);
    expect(port).toBeLessThan(below);
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
    // Held now, so it cannot be listened on again.
    expect(await canListen('127.0.0.1', port)).toBe(false);
    await new Promise((r) => s.close(r));
  }
  fs.writeFileSync(path.join(dir, 'low'), '1024 65535\n');
  expect(await pickPortBelowEphemeralRange('127.0.0.1', 20, path.join(dir, 'low'))).toBe(0);
  // No pick that could be listened on (here: none tried) → 0 as well.
  expect(await pickPortBelowEphemeralRange('127.0.0.1', 0)).toBe(0);
});
