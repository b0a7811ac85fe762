/**
 * docs/workflows.md (issue 13, item 3): every registered workflow documented, each example input
 * accepted by the workflow's own schema, and the committed doc equal to the generator's output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { inputJsonSchema, renderWorkflowsDoc, WORKFLOW_DOCS } from '../../src/tools/workflow-docs';
import { VERSIONING_BEHAVIOR } from '../../src/workflows/versioning';

const DOC = path.resolve(__dirname, '../../docs/workflows.md');

test('every registered workflow type is documented once', () => {
  expect(WORKFLOW_DOCS.map((d) => d.type).sort()).toEqual(Object.keys(VERSIONING_BEHAVIOR).sort());
});

test.each(WORKFLOW_DOCS.map((d) => [d.type, d] as const))('%s: the example input is valid for its schema and round-trips through JSON', (_type, d) => {
  const r = d.schema.safeParse(JSON.parse(JSON.stringify(d.example)));
  expect(r.success ? [] : r.error.issues).toEqual([]);
});

test.each(WORKFLOW_DOCS.map((d) => [d.type, d] as const))(
  '%s: the JSON Schema lists the required fields the example has, and rejects an empty input',
  (_type, d) => {
    const js = inputJsonSchema(d.schema) as { type: string; required?: string[]; properties: Record<string, unknown> };
    expect(js.type).toBe('object');
    expect(js.required?.length).toBeGreaterThan(0);
    for (const k of js.required ?? []) expect(d.example).toHaveProperty(k);
    for (const k of Object.keys(d.example)) expect(js.properties).toHaveProperty(k);
    expect(d.schema.safeParse({}).success).toBe(false);
  },
);

test('the doc carries each example and schema as the generator renders them', () => {
  const text = renderWorkflowsDoc();
  for (const d of WORKFLOW_DOCS) {
    expect(text).toContain(`## ${d.type}\n`);
    expect(text).toContain(`\`\`\`json\n${JSON.stringify(d.example)}\n\`\`\``);
    expect(text).toContain(JSON.stringify(z.toJSONSchema(d.schema, { io: 'input', unrepresentable: 'any' }), null, 2));
  }
});

test('the committed docs/workflows.md is up to date (else: npm run docs:workflows)', () => {
  expect(fs.readFileSync(DOC, 'utf8')).toBe(renderWorkflowsDoc());
});

test('every workflow documents the Summary to give it in the Start Workflow form', () => {
  for (const d of WORKFLOW_DOCS) expect(d.formSummary.length).toBeGreaterThan(10);
  expect(renderWorkflowsDoc()).toContain("Fill the form's **Summary**");
});
