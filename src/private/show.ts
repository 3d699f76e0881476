import { quote } from './validate';

/** A value as a message shows it: lists as JSON (`[]`, `["a"]`), everything else as `quote` does. */
export function show(value: unknown): string {
  if (Array.isArray(value)) {
    try {
      const text = JSON.stringify(value);
      // Long lists are shown cut, as quote does.
      if (text.length <= 200) return text;
    } catch {
      return quote(value);
    }
  }
  return quote(value);
}
