import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, portsBelowEphemeralRange } from '../helpers/process';

test('the ports below the ephemeral range come from the kernel’s range file, else the IANA range', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'free-port-'));
  try {
    fs.writeFileSync(path.join(dir, 'range'), '32768\t60999\n');
    expect(portsBelowEphemeralRange(path.join(dir, 'range'))).toEqual([15000, 32768]);
    expect(portsBelowEphemeralRange(path.join(dir, 'missing'))).toEqual([15000, 49152]);
    fs.writeFileSync(path.join(dir, 'low'), '1024 65535\n');
    // A range starting too low leaves no band: freePort then takes a port the kernel picks.
    expect(portsBelowEphemeralRange(path.join(dir, 'low'))).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('freePort gives a port below the ephemeral range that a server can listen on', async () => {
  const [lowest, below] = portsBelowEphemeralRange() ?? [1, 65536];
  const port = await freePort();
  expect(port).toBeGreaterThanOrEqual(lowest);
  expect(port).toBeLessThan(below);
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((r) => s.close(r));
});
