/** A Temporal client from config (envconfig connection + namespace). */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

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
