// Every finding rule the model can report is documented where users look: the README's findings
// table and the doc comment of MeshFinding.rule (API.md is generated from it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FINDING_RULES } from '../src/model/types';

const ROOT = join(__dirname, '..');

test.each(FINDING_RULES)('finding %s is in the README table and in MeshFinding.rule', (rule) => {
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`| \`${rule}\` |`);
  const report = readFileSync(join(ROOT, 'src', 'report.ts'), 'utf8');
  const doc = report.slice(report.indexOf('export interface MeshFinding'));
  expect(doc.slice(0, doc.indexOf('readonly rule: string'))).toContain(`\`${rule}\``);
});
