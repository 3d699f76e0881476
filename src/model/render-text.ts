// The plain-text report. Every user string is shown escaped (forTerminal); findings are laid out
// as `check` prints them, their lines wrapped at 100 characters.

import { forTerminal, wrap } from './escape';
import { buildReport, TextOptions } from './report-doc';
import { MeshModel } from './model';
import { textTable } from './table';

export function renderText(model: MeshModel, options: TextOptions = {}): string {
  const lines: string[] = [];
  const add = (line: string) => lines.push(forTerminal(line));
  const addWrapped = (line: string) => lines.push(...wrap(forTerminal(line)));
  for (const block of buildReport(model, options)) {
    switch (block.kind) {
      case 'heading':
        if (lines.length > 0) lines.push('');
        add(block.level === 1 ? block.text.toUpperCase() : block.level === 2 ? `== ${block.text} ==` : `-- ${block.text} --`);
        break;
      case 'para':
        add(block.text);
        break;
      case 'table':
        lines.push(...textTable(block.rows.map((row) => row.map(forTerminal))));
        break;
      case 'list':
        for (const item of block.items) add(`  ${item}`);
        break;
      case 'finding':
        addWrapped(`  ${block.lines.head}`);
        for (const r of block.lines.resources) addWrapped(`      ${r}`);
        addWrapped(`      ${block.lines.fix}`);
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}
