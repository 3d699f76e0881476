// The plain-text report.

import { buildReport, TextOptions } from './report-doc';
import { MeshModel } from './model';
import { textTable } from './table';

export function renderText(model: MeshModel, options: TextOptions = {}): string {
  const lines: string[] = [];
  for (const block of buildReport(model, options)) {
    switch (block.kind) {
      case 'heading':
        if (lines.length > 0) lines.push('');
        lines.push(block.level === 1 ? block.text.toUpperCase() : block.level === 2 ? `== ${block.text} ==` : `-- ${block.text} --`);
        break;
      case 'para':
        lines.push(block.text);
        break;
      case 'table':
        lines.push(...textTable(block.rows));
        break;
      case 'list':
        lines.push(...block.items.map((item) => `  ${item}`));
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}
