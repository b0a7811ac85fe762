/**
 * Picking a loopback port for a server that must get the same port back when it restarts (the
 * sandbox target across a drill's stop and start; the dev servers the tests start, stop and start).
 *
 * A port the kernel picks (listen on 0) comes from its ephemeral range, which is also where every
 * outgoing connection on the machine takes its local port: while the server is down, or between
 * finding a port free and binding it, a client connection can take it, and the start fails with
 * EADDRINUSE. Below that range only an explicit bind takes a port, so we pick there.
 */
import fs from 'node:fs';
import net from 'node:net';

/** The lowest port picked: above the usual fixed service ports (Temporal's 7233/8233, 9090, …). */
export const LOWEST_PICKED_PORT = 15000;

/**
 * [LOWEST_PICKED_PORT, the first ephemeral port): Linux's range from /proc, else the IANA one's
 * start (49152); none when the range starts too low to leave 1,000 ports below it.
 */
export function portsBelowEphemeralRange(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] | undefined {
  let first = 49152;
  try {
    const parsed = Number(fs.readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(parsed) && parsed > 0) first = parsed;
  } catch {
    // Not Linux: the IANA range.
  }
  return first >= LOWEST_PICKED_PORT + 1000 ? [LOWEST_PICKED_PORT, first] : undefined;
}

/** Whether a server can listen on `host:port` right now (listens, then closes). */
export function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * A port below the ephemeral range that `host` can listen on now, picked at random (`tries` picks);
 * 0 (let the kernel pick) when there is no such band or every pick was taken.
 */
export async function pickPortBelowEphemeralRange(host: string, tries = 20, rangeFile?: string): Promise<number> {
  const band = portsBelowEphemeralRange(rangeFile);
  if (!band) return 0;
  const [lowest, below] = band;
  for (let i = 0; i < tries; i++) {
    const port = lowest + Math.floor(Math.random() * (below - lowest));
    if (await canListen(host, port)) return port;
  }
  return 0;
}
