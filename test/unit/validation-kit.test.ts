// The one zod issue formatter gives the same text as the hand-written formatters it replaced.
import { z } from 'zod';
import { describeIssues, issueLines } from '../../src/domain/validation-kit';

const schema = z.object({ a: z.string(), n: z.object({ list: z.array(z.number()) }), rec: z.record(z.string(), z.number()) });
const errors = [
  schema.safeParse({ a: 1, n: { list: [1, 'x'] }, rec: { '': 'no', k: 'no' } }).error!,
  schema.safeParse('not an object').error!,
  schema.safeParse({ a: 'ok', n: { list: [] }, rec: {}, extra: 1 }).error ?? z.string().safeParse(5).error!,
  z.array(z.string()).safeParse([1, 2, 3, 4, 5, 6, 7]).error!,
];

test.each(errors.map((e, i) => [i, e] as const))('error %i: same text as before', (_i, e) => {
  // workflows/validation.ts
  expect(describeIssues(e)).toBe(e.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; '));
  // reports, ack-file, schedules (drill input), incident-ack command, ack-timer command
  expect(describeIssues(e, { root: '' })).toBe(e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  // promotion verdict
  expect(describeIssues(e, { root: '', max: 3 })).toBe(
    e.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; '),
  );
  // paging, schedule --input, halt
  expect(describeIssues(e, { rootWhenBlank: true })).toBe(e.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; '));
  // promotion reports
  expect(describeIssues(e, { root: '(report)', rootWhenBlank: true, max: 3 })).toBe(
    e.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`)
      .join('; '),
  );
  // tail, promotion-kpi, sandbox, market calendar (arrays)
  expect(issueLines(e, { root: '(root)', rootWhenBlank: true, max: 5 })).toEqual(
    e.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
  );
  expect(issueLines(e, { root: '(body)', rootWhenBlank: true })).toEqual(e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`));
});

test('an empty key is labelled as the root only when asked', () => {
  const e = z.record(z.string(), z.number()).safeParse({ '': 'x' }).error!;
  expect(describeIssues(e)).toBe(': Invalid input: expected number, received string');
  expect(describeIssues(e, { rootWhenBlank: true })).toBe('(input): Invalid input: expected number, received string');
});
