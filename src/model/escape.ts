// Output that cannot hurt: user strings (object names, hosts, file names) may hold escape
// sequences, line breaks, bidirectional overrides or HTML. Reports show them escaped, so that a
// terminal, a log viewer or a Markdown renderer shows what the input says instead of acting on it.

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional controls. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    default: {
      const code = c.charCodeAt(0);
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/** The text with every control character, line break and bidirectional control shown as an escape (`\x1b`, `\n`). */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * The text for Markdown: controls escaped as for a terminal, HTML (`<`, `&`) as entities, and the
 * characters Markdown acts on (`\ ` `` ` `` `*` `[` `]` `|` `~`, `_` at a word's edge) with a backslash.
 */
export function forMarkdown(text: string): string {
  return forTerminal(text)
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_/g, '\\_');
}

/** JSON text that a terminal shows as it is: C1 controls, separators and bidirectional controls as \u escapes (JSON.stringify leaves them raw). */
export function jsonForTerminal(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Breaks a line at spaces so that no line is longer than `width` (a longer word stays whole); continuation lines get `indent`. */
export function wrap(line: string, width = 100, indent = '    '): string[] {
  if (line.length <= width) return [line];
  const lead = /^ */.exec(line)![0];
  const words = line.slice(lead.length).split(' ');
  const out: string[] = [];
  let current = lead;
  let empty = true;
  for (const word of words) {
    if (!empty && current.length + 1 + word.length > width) {
      out.push(current);
      current = lead + indent + word;
    } else {
      current += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  out.push(current);
  return out;
}

/** `1 namespace`, `2 namespaces`: the count and the word in the right number. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} ${n === 1 ? one : many}`;
}
