import { quote } from './validate';

/** A value as a message shows it: lists as JSON (`[]`, `["a"]`), everything else as `quote` does. */
export function show(value: unknown): string {
  if (Array.isArray(value)) {
    try {
      return JSON.stringify(value);
    } catch {
      return quote(value);
    }
  }
  return quote(value);
}
