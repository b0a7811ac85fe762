import { isPortTakenOutput, whyItEnded } from '../../src/client/dev-server';

describe('isPortTakenOutput', () => {
  test.each([
    ['listen tcp 127.0.0.1:41234: bind: address already in use', true],
    ['{"msg":"Failed to start gRPC listener","error":"..."}', true],
    ['Error: listen EADDRINUSE: address already in use 127.0.0.1:1', true],
    ['panic: failed assigning ephemeral port: failed to assign a free port: dial tcp: connect: cannot assign requested address', true],
    ['Error: unknown flag: --no-such-flag', false],
    ['failed setting up schema: database is locked', false],
    ['', false],
  ])('%s → %s', (output, expected) => expect(isPortTakenOutput(output)).toBe(expected));
});

describe('whyItEnded', () => {
  test('without a panic: the last lines, trailing blank lines dropped', () => {
    const text = `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n')}\n\n`;
    expect(whyItEnded(text, 3)).toBe('line 28\nline 29\nline 30');
  });
  test('a panic: its message and first frames, with the error lines logged before it, not the trace’s tail', () => {
    const text = [
      '{"level":"WARN","msg":"Cluster Id is not a valid uuid"}',
      '{"level":"ERROR","msg":"Failed to start gRPC listener","error":"bind: address already in use"}',
      'panic: runtime error: invalid memory address or nil pointer dereference',
      '',
      'goroutine 1 [running]:',
      ...Array.from({ length: 60 }, (_, i) => `frame ${i}`),
    ].join('\n');
    const why = whyItEnded(text, 5);
    expect(why.split('\n')).toEqual([
      '{"level":"ERROR","msg":"Failed to start gRPC listener","error":"bind: address already in use"}',
      'panic: runtime error: invalid memory address or nil pointer dereference',
      '',
      'goroutine 1 [running]:',
      'frame 0',
    ]);
  });
  test('caps the characters kept, keeping the end', () => {
    expect(whyItEnded(`${'x'.repeat(100)}END`, 20, 10)).toBe('xxxxxxxEND');
  });
  test('empty output stays empty', () => expect(whyItEnded('')).toBe(''));
});
