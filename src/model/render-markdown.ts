// The Markdown report.

import { buildReport, TextOptions } from './report-doc';
import { MeshModel } from './model';
import { markdownTable } from './table';

export function renderMarkdown(model: MeshModel, options: TextOptions = {}): string {
  const out: string[] = [];
  for (const block of buildReport(model, options)) {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${block.text}`, '');
        break;
      case 'para':
        out.push(block.text, '');
        break;
      case 'table':
        out.push(...markdownTable(block.rows), '');
        break;
      case 'list':
        out.push(...block.items.map((item) => `- ${item}`), '');
        break;
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
