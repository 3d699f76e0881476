// The Markdown report. Every text is escaped (forMarkdown): names and reasons can hold HTML,
// pipes or Markdown markup, which must show as written.

import { forMarkdown } from './escape';
import { buildReport, TextOptions } from './report-doc';
import { MeshModel } from './model';
import { markdownTable } from './table';

export function renderMarkdown(model: MeshModel, options: TextOptions = {}): string {
  const out: string[] = [];
  const blocks = buildReport(model, options);
  blocks.forEach((block, i) => {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${forMarkdown(block.text)}`, '');
        break;
      case 'para':
        out.push(forMarkdown(block.text), '');
        break;
      case 'table':
        out.push(...markdownTable(block.rows, forMarkdown), '');
        break;
      case 'list':
        out.push(...block.items.map((item) => `- ${forMarkdown(item)}`), '');
        break;
      case 'finding':
        out.push(`- ${forMarkdown(block.lines.head)}`, ...block.lines.resources.map((r) => `  - ${forMarkdown(r)}`), `  - ${forMarkdown(block.lines.fix)}`);
        // Findings in a row are one list.
        if (blocks[i + 1]?.kind !== 'finding') out.push('');
        break;
    }
  });
  return `${out.join('\n').trimEnd()}\n`;
}
