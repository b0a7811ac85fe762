/** A Temporal client from config (envconfig connection + namespace). */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { causeChain } from '../domain/failure-chain';

export interface ConnectedClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export class TemporalUnreachableError extends Error {
  constructor(address: string, cause: unknown) {
    super(`cannot reach the Temporal server at ${address}: ${(cause as Error)?.message ?? cause}. Start one with \`drill dev\`, or set TEMPORAL_ADDRESS.`);
    this.name = 'TemporalUnreachableError';
  }
}

export async function connectClient(config: Pick<Config, 'temporal'>, { connectTimeoutMs = 5000 } = {}): Promise<ConnectedClient> {
  const { connectionOptions, namespace } = config.temporal;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions, connectTimeout: connectTimeoutMs } as Parameters<typeof Connection.connect>[0]);
  } catch (err) {
    throw new TemporalUnreachableError(config.temporal.address, err);
  }
  const client = new Client({ connection, namespace });
  return { client, connection, close: () => connection.close() };
}

export class TemporalTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what} did not answer within ${timeoutMs / 1000} s: is a worker running on its task queue?`);
    this.name = 'TemporalTimeoutError';
  }
}

/**
 * Runs client calls under a deadline. Queries and updates need a worker and would otherwise wait
 * forever; our deadline surfaces as gRPC DEADLINE_EXCEEDED (4) or, on some connections, CANCELLED
 * (1), possibly wrapped in the client's ServiceError: either becomes a {@link TemporalTimeoutError}.
 */
export async function withTimeout<T>(connection: Connection, timeoutMs: number, what: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  try {
    return await connection.withDeadline(deadline, fn);
  } catch (err) {
    if (Date.now() >= deadline - 100) {
      for (const e of causeChain(err, 4) as ({ code?: number } | null | undefined)[]) {
        if (e?.code === 4 || e?.code === 1) throw new TemporalTimeoutError(what, timeoutMs);
      }
    }
    throw err;
  }
}
