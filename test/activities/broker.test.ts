import { createBrokerActivities, websocketPing } from '../../src/activities/broker';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { ApplicationFailure } from '@temporalio/activity';

let sbx: TestSandbox;
let broker: ReturnType<typeof createBrokerActivities>;

beforeAll(async () => {
  sbx = await startTestSandbox();
  broker = createBrokerActivities(sbx.deps);
});
afterAll(async () => sbx?.cleanup());
afterEach(async () => sbx.clear('all'));

test('healthy: API ok and a websocket ping answered by a pong', async () => {
  const h = await broker.brokerHealth({ target: sbx.targetName });
  expect(h.healthy).toBe(true);
  expect(h.api).toMatchObject({ ok: true, status: 200, health: { status: 'ok', api_connected: true } });
  expect(h.websocket.ok).toBe(true);
  expect(h.websocket.roundTripMs).toBeGreaterThanOrEqual(0);
});

test('broker_disconnect: API down (503) and the websocket handshake refused', async () => {
  await sbx.inject('broker_disconnect');
  const h = await broker.brokerHealth({ target: sbx.targetName, timeoutMs: 1000 });
  expect(h.healthy).toBe(false);
  expect(h.api).toMatchObject({ ok: false, status: 503, health: { status: 'down', api_connected: false } });
  expect(h.websocket).toMatchObject({ ok: false, error: expect.stringMatching(/503/) });
  await sbx.clear('broker_disconnect');
  const back = await broker.brokerHealth({ target: sbx.targetName });
  expect(back.healthy).toBe(true);
});

test('websocket_silence: API still answers, the ping times out', async () => {
  await sbx.inject('websocket_silence');
  const h = await broker.brokerHealth({ target: sbx.targetName, timeoutMs: 400 });
  expect(h.api.ok).toBe(true);
  expect(h.websocket).toMatchObject({ ok: false, error: 'no pong within 400 ms' });
  expect(h.healthy).toBe(false);
});

test('the feed sends ticks while healthy and none while silent', async () => {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(sbx.info.broker_ws_url);
  const msgs: Array<{ type: string }> = [];
  ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
  await waitFor('two ticks', () => msgs.filter((m) => m.type === 'tick').length >= 2);
  await sbx.inject('websocket_silence');
  await new Promise((r) => setTimeout(r, 150));
  const before = msgs.length;
  await new Promise((r) => setTimeout(r, 400));
  expect(msgs.length).toBe(before);
  ws.terminate();
});

test('an unreachable websocket is reported, not thrown', async () => {
  const r = await websocketPing('ws://127.0.0.1:9/broker/ws', 500);
  expect(r.ok).toBe(false);
  expect(r.error).toMatch(/connection failed|no connection/);
});

test('bad input is InvalidInput', async () => {
  await expect(broker.brokerHealth({ target: 'sandbox-1', timeoutMs: 1 })).rejects.toMatchObject({
    type: 'InvalidInput',
    message: expect.stringMatching(/timeoutMs/),
  });
  await expect(broker.brokerHealth({ target: '' })).rejects.toBeInstanceOf(ApplicationFailure);
});
