// Small helpers for text and Markdown tables.

/** Left-aligned columns separated by two spaces; `indent` before every line. */
export function textTable(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

/** A Markdown table: the first row is the header. */
export function markdownTable(rows: readonly (readonly string[])[], esc: (s: string) => string = (s) => s.replace(/\|/g, '\\|')): string[] {
  const [head, ...body] = rows;
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
}

/** `1234567` -> `1,234,567`. */
export function num(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The first `max` items, then `+N more`. */
export function some(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, +${items.length - max} more`;
}

/** Numbers distinct reasons as [1], [2], ... in order of first use. */
export class Footnotes {
  private readonly ids = new Map<string, number>();

  public ref(text: string): string {
    let id = this.ids.get(text);
    if (id === undefined) this.ids.set(text, id = this.ids.size + 1);
    return `[${id}]`;
  }

  public entries(): Array<[string, string]> {
    return [...this.ids.entries()].map(([text, id]) => [`[${id}]`, text]);
  }
}
