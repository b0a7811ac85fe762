import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { listAuditFiles, readLastRecords, readLatestJson, readNew, readNewInDir, type MultiTailCursor, type TailCursor } from '../../src/io/tail';

const lineSchema = z.looseObject({ n: z.number().int() });
const line = (n: number, pad = '') => `${JSON.stringify({ n, pad })}\n`;

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tail-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('readNew', () => {
  it('reads appended lines and resumes from the cursor', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + line(2));
    const r1 = await readNew(f, undefined, lineSchema);
    expect(r1.records.map((r) => r.n)).toEqual([1, 2]);
    expect(r1.cursor).toMatchObject({ offset: fs.statSync(f).size, size: fs.statSync(f).size });
    expect(typeof r1.cursor.inode).toBe('number');
    const again = await readNew(f, r1.cursor, lineSchema);
    expect(again.records).toEqual([]);
    await fsp.appendFile(f, line(3));
    const r2 = await readNew(f, r1.cursor, lineSchema);
    expect(r2.records.map((r) => r.n)).toEqual([3]);
    expect(r2).toMatchObject({ truncated: false, rotated: false, missing: false, corrupt: 0 });
  });

  it('leaves a partial last line for the next read (the cursor holds no content)', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + '{"n":2,"pa');
    const r1 = await readNew(f, undefined, lineSchema);
    expect(r1.records.map((r) => r.n)).toEqual([1]);
    expect(r1.cursor).toMatchObject({ offset: line(1).length, partial: true });
    expect(JSON.stringify(r1.cursor).length).toBeLessThan(120);
    await fsp.appendFile(f, 'd":""}\n');
    const r2 = await readNew(f, r1.cursor, lineSchema);
    expect(r2.records.map((r) => r.n)).toEqual([2]);
    expect(r2.cursor.partial).toBeUndefined();
    expect(r2.corrupt).toBe(0);
  });

  it('counts corrupt lines (not JSON, schema mismatch) without failing; skips blank lines', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + 'not json\n\n{"n":"two"}\n' + line(3) + '\r\n');
    const r = await readNew(f, undefined, lineSchema);
    expect(r.records.map((x) => x.n)).toEqual([1, 3]);
    expect(r.corrupt).toBe(2);
    expect(r.problems[0]).toMatch(/offset \d+: not JSON/);
    expect(r.problems[1]).toMatch(/n: /);
  });

  it('notices truncation and restarts at 0', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + line(2) + line(3));
    const r1 = await readNew(f, undefined, lineSchema);
    await fsp.truncate(f, 0);
    await fsp.appendFile(f, line(10));
    const r2 = await readNew(f, r1.cursor, lineSchema);
    expect(r2.truncated).toBe(true);
    expect(r2.records.map((r) => r.n)).toEqual([10]);
  });

  it('notices rotation (rename + new file) and reads the new file from 0', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + line(2));
    const r1 = await readNew(f, undefined, lineSchema);
    await fsp.rename(f, `${f}.1`);
    // Longer than the old offset, so only the inode can tell.
    await fsp.writeFile(f, line(20) + line(21) + line(22));
    const r2 = await readNew(f, r1.cursor, lineSchema);
    expect(r2).toMatchObject({ rotated: true, truncated: false });
    expect(r2.records.map((r) => r.n)).toEqual([20, 21, 22]);
  });

  it('a missing file is an empty result and keeps the cursor', async () => {
    const f = path.join(dir, 'nope.jsonl');
    const c: TailCursor = { offset: 42, inode: 7, size: 42 };
    const r = await readNew(f, c, lineSchema);
    expect(r).toMatchObject({ records: [], missing: true, corrupt: 0, cursor: c });
  });

  it('a 10 MB line is counted corrupt and skipped with bounded memory', async () => {
    const f = path.join(dir, 'a.jsonl');
    const big = `{"n":2,"pad":"${'x'.repeat(10 * 1024 * 1024)}"}\n`;
    await fsp.writeFile(f, line(1) + big + line(3));
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const r = await readNew(f, undefined, lineSchema, {
      onRecord: () => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      },
    });
    expect(r.count).toBe(2);
    expect(r.corrupt).toBe(1);
    expect(r.problems[0]).toMatch(/longer than 1048576 bytes/);
    expect(r.cursor.offset).toBe(fs.statSync(f).size);
    // At most one line's worth (1 MiB) plus a chunk is ever held, never the 10 MB.
    expect(peak).toBeLessThan(4 * 1024 * 1024);
  });

  it('an over-long line still being written is skipped across reads and counted once', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + '{"n":2,"pad":"' + 'y'.repeat(3000));
    const r1 = await readNew(f, undefined, lineSchema, { maxLineBytes: 1000 });
    expect(r1).toMatchObject({ count: 1, corrupt: 1 });
    expect(r1.cursor).toMatchObject({ discarding: true, offset: fs.statSync(f).size });
    await fsp.appendFile(f, 'y'.repeat(3000) + '"}\n' + line(3));
    const r2 = await readNew(f, r1.cursor, lineSchema, { maxLineBytes: 1000 });
    expect(r2.records.map((r) => r.n)).toEqual([3]);
    expect(r2.corrupt).toBe(0);
    expect(r2.cursor.discarding).toBeUndefined();
  });

  it('a complete over-long line inside one chunk is counted corrupt too', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, line(1) + line(2, 'z'.repeat(5000)) + line(3));
    const r = await readNew(f, undefined, lineSchema, { maxLineBytes: 1000 });
    expect(r.records.map((x) => x.n)).toEqual([1, 3]);
    expect(r.corrupt).toBe(1);
    expect(r.problems[0]).toBe(`offset ${line(1).length}: line longer than 1000 bytes, skipped`);
  });

  it('lines spanning chunk boundaries and multi-byte characters', async () => {
    const f = path.join(dir, 'a.jsonl');
    let text = '';
    for (let i = 0; i < 300; i++) text += `${JSON.stringify({ n: i, pad: 'é€😀'.repeat(i % 17) })}\n`;
    await fsp.writeFile(f, text);
    const r = await readNew(f, undefined, lineSchema, { chunkBytes: 37 });
    expect(r.records.map((x) => x.n)).toEqual([...Array(300).keys()]);
    expect(r.records[16]!.pad).toBe('é€😀'.repeat(16));
    expect(r.corrupt).toBe(0);
  });

  it('maxRecords and maxBytes stop at a line end and say there is more', async () => {
    const f = path.join(dir, 'a.jsonl');
    await fsp.writeFile(f, Array.from({ length: 10 }, (_, i) => line(i)).join(''));
    const r1 = await readNew(f, undefined, lineSchema, { maxRecords: 4 });
    expect(r1.records.map((r) => r.n)).toEqual([0, 1, 2, 3]);
    expect(r1.more).toBe(true);
    const r2 = await readNew(f, r1.cursor, lineSchema, { maxBytes: 1 });
    expect(r2.records.map((r) => r.n)).toEqual([4]);
    const r3 = await readNew(f, r2.cursor, lineSchema, { onRecord: (rec) => (rec.n === 6 ? 'stop' : undefined) });
    expect(r3.count).toBe(2);
    const r4 = await readNew(f, r3.cursor, lineSchema);
    expect(r4.records.map((r) => r.n)).toEqual([7, 8, 9]);
    expect(r4.more).toBe(false);
  });

  it('every line exactly once across many resumed reads while a writer appends in odd pieces', async () => {
    const f = path.join(dir, 'a.jsonl');
    const total = 5000;
    let text = '';
    for (let i = 0; i < total; i++) text += line(i, 'p'.repeat(i % 50));
    const fd = fs.openSync(f, 'a');
    let written = 0;
    let cursor: TailCursor | undefined;
    const seen: number[] = [];
    let step = 1;
    while (written < text.length) {
      // Write a piece of arbitrary length (often mid-line), then read.
      const piece = text.slice(written, written + ((step * 7919) % 4000) + 1);
      fs.writeSync(fd, piece);
      written += piece.length;
      step++;
      const r = await readNew(f, cursor, lineSchema, { chunkBytes: 1024, maxRecords: 50 });
      cursor = JSON.parse(JSON.stringify(r.cursor)) as TailCursor; // as workflow state would carry it
      for (const rec of r.records) seen.push(rec.n);
      expect(r.corrupt).toBe(0);
    }
    fs.closeSync(fd);
    for (;;) {
      const r = await readNew(f, cursor, lineSchema, { maxRecords: 50 });
      cursor = r.cursor;
      for (const rec of r.records) seen.push(rec.n);
      if (!r.more) break;
    }
    expect(seen.length).toBe(total);
    expect(seen).toEqual([...Array(total).keys()]);
  });
});

describe('readLatestJson', () => {
  it('value, missing, invalid', async () => {
    const f = path.join(dir, 'latest.json');
    expect(await readLatestJson(f, lineSchema)).toEqual({ ok: false, reason: 'missing' });
    await fsp.writeFile(f, '{"n":5}');
    expect(await readLatestJson(f, lineSchema)).toMatchObject({ ok: true, value: { n: 5 } });
    await fsp.writeFile(f, '{"n":');
    expect(await readLatestJson(f, lineSchema)).toMatchObject({ ok: false, reason: 'invalid' });
    await fsp.writeFile(f, '{"n":"x"}');
    const r = await readLatestJson(f, lineSchema);
    expect(r.ok === false && r.reason === 'invalid' && r.problems[0]).toMatch(/^n: /);
  });
});

describe('readLastRecords', () => {
  it('returns the last valid records oldest first, ignoring a partial tail and corrupt lines', async () => {
    const f = path.join(dir, 'a.jsonl');
    let text = '';
    for (let i = 0; i < 20000; i++) text += line(i, 'q'.repeat(i % 30));
    text += 'garbage\n' + line(20000) + '{"n":200';
    await fsp.writeFile(f, text);
    const r = await readLastRecords(f, lineSchema, { count: 3 });
    expect(r.records.map((x) => x.n)).toEqual([19998, 19999, 20000]);
    expect(r.corrupt).toBe(1);
    const even = await readLastRecords(f, lineSchema, { count: 2, filter: (x) => x.n % 5000 === 0 });
    expect(even.records.map((x) => x.n)).toEqual([15000, 20000]);
    expect((await readLastRecords(path.join(dir, 'none'), lineSchema)).missing).toBe(true);
  });
});

describe('audit folder', () => {
  it('lists *.jsonl sorted and tails each file with its own cursor', async () => {
    const audit = path.join(dir, 'audit_logs');
    expect(await listAuditFiles(audit)).toEqual([]);
    await fsp.mkdir(audit);
    await fsp.writeFile(path.join(audit, '2025-01-02.jsonl'), line(3));
    await fsp.writeFile(path.join(audit, '2025-01-01.jsonl'), line(1) + line(2));
    await fsp.writeFile(path.join(audit, 'notes.txt'), 'x');
    expect(await listAuditFiles(audit)).toEqual(['2025-01-01.jsonl', '2025-01-02.jsonl']);

    const r1 = await readNewInDir(audit, undefined, lineSchema);
    expect(r1.records.map((r) => [r.file, r.record.n])).toEqual([
      ['2025-01-01.jsonl', 1],
      ['2025-01-01.jsonl', 2],
      ['2025-01-02.jsonl', 3],
    ]);
    await fsp.appendFile(path.join(audit, '2025-01-02.jsonl'), line(4));
    await fsp.writeFile(path.join(audit, '2025-01-03.jsonl'), line(5));
    await fsp.rm(path.join(audit, '2025-01-01.jsonl'));
    const cursor = JSON.parse(JSON.stringify(r1.cursor)) as MultiTailCursor;
    const r2 = await readNewInDir(audit, cursor, lineSchema);
    expect(r2.records.map((r) => r.record.n)).toEqual([4, 5]);
    expect(r2.removed).toEqual(['2025-01-01.jsonl']);
    expect(Object.keys(r2.cursor.files)).toEqual(['2025-01-02.jsonl', '2025-01-03.jsonl']);
  });

  it('maxRecords is shared across files and resumes exactly', async () => {
    const audit = path.join(dir, 'audit_logs');
    await fsp.mkdir(audit);
    for (const d of ['a', 'b', 'c']) await fsp.writeFile(path.join(audit, `${d}.jsonl`), line(1) + line(2) + line(3));
    let cursor: MultiTailCursor | undefined;
    const seen: string[] = [];
    for (let k = 0; k < 10; k++) {
      const r = await readNewInDir(audit, cursor, lineSchema, { maxRecords: 2 });
      cursor = r.cursor;
      seen.push(...r.records.map((x) => `${x.file}:${x.record.n}`));
      if (!r.more) break;
    }
    expect(seen).toEqual(['a', 'b', 'c'].flatMap((d) => [1, 2, 3].map((n) => `${d}.jsonl:${n}`)));
  });
});
