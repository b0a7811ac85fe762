import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileTail } from '../../src/io/files';
import { readLastLines } from '../../src/io/conformance-probe';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-tail-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('readFileTail: from an offset, at most the last bytes, cut when it starts past the offset; null when missing', async () => {
  const f = path.join(dir, 'log');
  fs.writeFileSync(f, 'earlier start\nthis start 1\nthis start 2\n');
  const from = 'earlier start\n'.length;
  expect(await readFileTail(f, { from })).toEqual({ text: 'this start 1\nthis start 2\n', cut: false });
  expect(await readFileTail(f, { from, maxBytes: 8 })).toEqual({ text: 'start 2\n', cut: true });
  expect(await readFileTail(f, { from: 1000 })).toEqual({ text: '', cut: false });
  expect(await readFileTail(path.join(dir, 'missing'))).toBeNull();
});

test('readLastLines drops the line a byte limit cut in two and a last line still being written', async () => {
  const f = path.join(dir, 'run.jsonl');
  fs.writeFileSync(f, '{"a":1}\n{"b":22}\n{"c":3}\n{"d":');
  expect(await readLastLines(f, 20, 14)).toEqual(['{"c":3}']);
  expect(await readLastLines(f)).toEqual(['{"a":1}', '{"b":22}', '{"c":3}']);
  expect(await readLastLines(path.join(dir, 'missing'))).toBeNull();
});
