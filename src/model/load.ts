// Reads manifests: YAML (multi-document) or JSON files, or folders of them. Input that cannot hurt:
// only regular files are opened (never a FIFO, socket or device, which could block or never end),
// each file and the input as a whole have a size limit, folders are walked without recursion and
// with symbolic-link loop detection, and every document is bounded before the YAML parser builds
// its tree. What cannot be read is reported (file, document, reason), never silently dropped.

import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { Lexer, parseAllDocuments, visit } from 'yaml';
import { quote } from './names';
import { K8sObject, NotApplied, SourcedObject } from './types';

const EXTENSIONS = ['.yaml', '.yml', '.json'];
const MiB = 1024 * 1024;
/** Default limit of one file's size. */
export const DEFAULT_MAX_FILE_BYTES = 64 * MiB;
/** Default limit of all files' size together. */
export const DEFAULT_MAX_TOTAL_BYTES = 256 * MiB;
/** The API server takes at most 3 MiB in one request (k8s.io/apiserver pkg/server/config.go MaxRequestBodyBytes). */
export const MAX_DOCUMENT_BYTES = 3 * MiB;
/** YAML tokens of one document, beyond which its syntax tree (built whole, about 300 bytes a token) is not built. */
export const MAX_DOCUMENT_TOKENS = 300_000;

/** Limits of what the loader reads. */
export interface LoadLimits {
  /** Bytes one file may have. Default 64 MiB. */
  readonly maxFileBytes?: number;
  /** Bytes all files may have together. Default 256 MiB. */
  readonly maxTotalBytes?: number;
}

/** What the loader read. */
export interface LoadedInput {
  readonly objects: SourcedObject[];
  /** Files, folders and documents it did not read, and why. */
  readonly problems: NotApplied[];
  /** The files read, with how many objects each held. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly objects: number }>;
  /** Bytes read. */
  readonly bytes: number;
}

/** Refuses anything but a list of path strings (a string would be walked as a list of characters, `/` first). */
export function checkPathList(paths: unknown, what = 'paths'): asserts paths is readonly string[] {
  if (typeof paths === 'string') throw new TypeError(`${what} must be a list of files or folders, not the string ${quote(paths)}: pass [${quote(paths)}]`);
  if (!Array.isArray(paths)) throw new TypeError(`${what} must be a list of files or folders, not ${quote(paths)}`);
  paths.forEach((p, i) => {
    if (typeof p !== 'string' || p === '') throw new TypeError(`${what}[${i}] must be a file or folder name, not ${quote(p)}`);
  });
}

function fileType(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ELOOP': return 'too many levels of symbolic links (a symbolic link loop)';
    case 'ENOTDIR': return 'a path component is not a folder';
    case 'EAGAIN': return 'would block (not a regular file)';
    default: return String(e?.message ?? err);
  }
}

function problem(manifest: string, reason: string, document?: number): NotApplied {
  return { manifest, document, reason, source: 'the loader' };
}

/**
 * The manifest files under `paths`: files as given, folders searched (symbolic links followed,
 * each folder once) for `.yaml`, `.yml` and `.json` files, sorted by name per folder. Paths that
 * cannot be read, and entries that are not regular files, go to `problems`.
 */
export function manifestFiles(paths: readonly string[], problems: NotApplied[] = []): string[] {
  checkPathList(paths);
  const files: string[] = [];
  const seenFolders = new Map<string, string>();
  for (const path of paths) {
    let st: Stats;
    try {
      st = statSync(path);
    } catch (err) {
      problems.push(problem(path, `cannot read: ${errorText(err)}`));
      continue;
    }
    if (st.isFile()) files.push(path);
    else if (st.isDirectory()) walk(path, st, files, problems, seenFolders);
    else problems.push(problem(path, `${fileType(st)}: only regular files are read`));
  }
  return files;
}

/** Depth-first, in name order, with an explicit stack (a folder tree of any depth costs no call stack). */
function walk(root: string, rootStat: Stats, files: string[], problems: NotApplied[], seen: Map<string, string>): void {
  const stack: Array<{ path: string; st?: Stats }> = [{ path: root, st: rootStat }];
  while (stack.length > 0) {
    const { path, st: known } = stack.pop()!;
    let st = known;
    if (!st) {
      try {
        st = statSync(path);
      } catch (err) {
        if (EXTENSIONS.includes(extname(path).toLowerCase())) problems.push(problem(path, `cannot read: ${errorText(err)}`));
        continue;
      }
    }
    if (st.isDirectory()) {
      const id = `${st.dev}:${st.ino}`;
      const first = seen.get(id);
      if (first !== undefined) {
        problems.push(problem(path, `the folder ${quote(first)} again (a symbolic link${first.length < path.length && path.startsWith(first) ? ' loop' : ''}): read once`));
        continue;
      }
      seen.set(id, path);
      let entries: string[];
      try {
        entries = readdirSync(path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      } catch (err) {
        problems.push(problem(path, `cannot read the folder: ${errorText(err)}`));
        continue;
      }
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ path: join(path, entries[i]) });
      continue;
    }
    if (!EXTENSIONS.includes(extname(path).toLowerCase())) continue;
    if (st.isFile()) files.push(path);
    else problems.push(problem(path, `${fileType(st)}: only regular files are read`));
  }
}

/** Reads at most `limit` bytes of a regular file; undefined (with a problem) otherwise. Never blocks on a FIFO. */
function readBounded(path: string, limit: number, limitName: string, problems: NotApplied[]): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    problems.push(problem(path, `cannot read: ${errorText(err)}`));
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      problems.push(problem(path, `${fileType(st)}: only regular files are read`));
      return undefined;
    }
    if (st.size > limit) {
      problems.push(problem(path, `${st.size.toLocaleString('en-US')} bytes: over the ${limitName}`));
      return undefined;
    }
    // The size a file reports is not trusted (files under /proc report 0): read until the end or the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(MiB, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) {
        problems.push(problem(path, `more than ${limit.toLocaleString('en-US')} bytes: over the ${limitName}`));
        return undefined;
      }
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    problems.push(problem(path, `cannot read: ${errorText(err)}`));
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The text of a manifest: UTF-8 (a byte-order mark is dropped, as kubectl does); UTF-16 and invalid UTF-8 are refused. */
export function decodeManifest(bytes: Uint8Array): { readonly text?: string; readonly error?: string } {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return { error: `UTF-16 text (byte-order mark ${bytes[0] === 0xff ? 'FF FE' : 'FE FF'}): kubectl reads at most its first document; convert it to UTF-8` };
  }
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start)) };
  } catch {
    return { error: `not UTF-8 text (invalid byte at offset ${firstInvalidUtf8(bytes, start)}): a binary file, or another encoding` };
  }
}

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), in one pass. */
function firstInvalidUtf8(b: Uint8Array, start: number): number {
  let i = start;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += n + 1;
  }
  return i;
}

/** YAML forbids these characters in a stream (YAML 1.2 section 5.1; go-yaml, which kubectl uses, refuses them). */
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/;

/** Splits a multi-document YAML text at `---` lines, in one pass; each chunk with the line it starts on. */
function* splitDocuments(text: string): IterableIterator<{ text: string; line: number }> {
  let start = 0;
  let startLine = 1;
  let line = 1;
  let pos = 0;
  while (pos <= text.length) {
    const end = text.indexOf('\n', pos);
    const stop = end < 0 ? text.length : end;
    if (pos > start && text.startsWith('---', pos) && (stop === pos + 3 || /\s/.test(text[pos + 3]))) {
      yield { text: text.slice(start, pos), line: startLine };
      start = pos;
      startLine = line;
    }
    if (end < 0) break;
    pos = end + 1;
    line++;
  }
  yield { text: text.slice(start), line: startLine };
}

/** Whether a chunk holds only comments, blank lines and document markers (an empty document), line by line. */
function blank(chunk: string): boolean {
  let pos = 0;
  while (pos < chunk.length) {
    let end = chunk.indexOf('\n', pos);
    if (end < 0) end = chunk.length;
    let line = chunk.slice(pos, end).trim();
    if (line.startsWith('---')) line = line.slice(3).trim();
    else if (line === '...') line = '';
    if (line !== '' && !line.startsWith('#')) return false;
    pos = end + 1;
  }
  return true;
}

/** A rough upper bound of a chunk's YAML nodes: the lexer runs only when it is large. */
function tooManyTokens(chunk: string): boolean {
  let marks = 0;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk.charCodeAt(i);
    if (c === 10 || c === 44 || c === 91 || c === 123 || c === 58 || c === 45) marks++;
  }
  if (marks <= MAX_DOCUMENT_TOKENS / 2) return false;
  let tokens = 0;
  for (const _ of new Lexer().lex(chunk)) if (++tokens > MAX_DOCUMENT_TOKENS) return true;
  return false;
}

/** Keys given twice in one mapping (checked here in linear time; the YAML library's own check is quadratic). */
function duplicateKey(doc: any): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Map(_, map: any) {
      const keys = new Set<string>();
      for (const pair of map.items) {
        const k = pair.key && typeof pair.key === 'object' && 'value' in pair.key ? String(pair.key.value) : undefined;
        if (k === undefined) continue;
        if (keys.has(k)) {
          found = k;
          return visit.BREAK;
        }
        keys.add(k);
      }
      return undefined;
    },
  });
  return found;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'empty (null)' : `a ${typeof value} (${quote(value, 40)})`;
}

/** The objects of a manifest text, and what in it is not a Kubernetes object. */
export function parseManifestText(text: string, manifest = '<input>'): { objects: SourcedObject[]; problems: NotApplied[]; documents: number } {
  const objects: SourcedObject[] = [];
  const problems: NotApplied[] = [];
  const add = (value: unknown, document: number) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as K8sObject;
      if (typeof o.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '') objects.push({ object: o, manifest, document });
      else problems.push(problem(manifest, `a mapping without ${typeof o.kind === 'string' && o.kind !== '' ? 'apiVersion' : typeof o.apiVersion === 'string' && o.apiVersion !== '' ? 'kind' : 'apiVersion and kind'}: not a Kubernetes object`, document));
    } else if (value !== null && value !== undefined) problems.push(problem(manifest, `${describe(value)}, not a Kubernetes object`, document));
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    let ok = false;
    try {
      parsed = JSON.parse(text);
      ok = true;
    } catch {
      // not JSON after all: YAML below (JSON is YAML, and YAML's errors name the line)
    }
    if (ok) {
      if (Array.isArray(parsed)) parsed.forEach((item, i) => add(item, i + 1));
      else add(parsed, 1);
      return { objects, problems, documents: Array.isArray(parsed) ? parsed.length : 1 };
    }
  }
  let documents = 0;
  for (const chunk of splitDocuments(text)) {
    if (blank(chunk.text)) {
      // An empty document between markers counts; comments alone are no document.
      if (/^---/m.test(chunk.text)) documents++;
      continue;
    }
    const document = ++documents;
    const at = (reason: string) => problems.push(problem(manifest, `${reason} (the document starting at line ${chunk.line})`, document));
    if (chunk.text.length > MAX_DOCUMENT_BYTES) {
      at(`${chunk.text.length.toLocaleString('en-US')} characters: larger than the 3 MiB the API server accepts in one request`);
      continue;
    }
    const bad = FORBIDDEN.exec(chunk.text);
    if (bad) {
      const line = chunk.line + (chunk.text.slice(0, bad.index).split('\n').length - 1);
      at(`control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} on line ${line}: YAML does not allow it (write it escaped in a double-quoted string)`);
      continue;
    }
    if (tooManyTokens(chunk.text)) {
      at(`more than ${MAX_DOCUMENT_TOKENS.toLocaleString('en-US')} YAML tokens: far more than any Kubernetes object`);
      continue;
    }
    try {
      for (const doc of parseAllDocuments(chunk.text, { version: '1.1', uniqueKeys: false }) as any[]) {
        if (doc.errors?.length) {
          at(`YAML error: ${String(doc.errors[0].message).split('\n')[0]}`);
          continue;
        }
        const dup = duplicateKey(doc);
        if (dup !== undefined) {
          at(`the key ${quote(dup)} appears twice in one mapping: tools disagree on which wins (istioctl refuses it)`);
          continue;
        }
        add(doc.toJS({ maxAliasCount: 1000 }), document);
      }
    } catch (err) {
      const e = err as Error;
      at(e instanceof RangeError ? 'nested too deeply to read' : `YAML error: ${String(e?.message ?? e).split('\n')[0]}`);
    }
  }
  return { objects, problems, documents };
}

/** The objects of a manifest text (YAML or JSON). Throws on anything that is not a Kubernetes object. */
export function parseManifest(text: string, name = '<input>'): K8sObject[] {
  const { objects, problems } = parseManifestText(text, name);
  if (problems.length > 0) throw new Error(`${name}: ${problems[0].reason}`);
  return objects.map((o) => o.object);
}

/** Reads every manifest under `paths`, within `limits`; reports what it could not read. */
export function readManifests(paths: readonly string[], limits: LoadLimits = {}): LoadedInput {
  checkPathList(paths);
  const problems: NotApplied[] = [];
  return readFiles(manifestFiles(paths, problems), limits, problems);
}

/** Reads the given manifest files (as `manifestFiles` lists them), within `limits`, adding to `problems`. */
export function readFiles(list: readonly string[], limits: LoadLimits = {}, problems: NotApplied[] = []): LoadedInput {
  const maxFile = limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const objects: SourcedObject[] = [];
  const files: Array<{ path: string; objects: number }> = [];
  let total = 0;
  for (const file of list) {
    const fileLimit = Math.min(maxFile, maxTotal - total);
    const bytes = readBounded(file, fileLimit, fileLimit < maxFile ? `limit for all files together (${fileLimit.toLocaleString('en-US')} bytes were left of it)`
      : `limit of ${maxFile.toLocaleString('en-US')} bytes a file`, problems);
    if (!bytes) continue;
    total += bytes.length;
    const { text, error } = decodeManifest(bytes);
    if (error !== undefined || text === undefined) {
      problems.push(problem(file, error ?? 'unreadable'));
      continue;
    }
    const parsed = parseManifestText(text, file);
    objects.push(...parsed.objects);
    problems.push(...parsed.problems);
    files.push({ path: file, objects: parsed.objects.length });
    if (parsed.objects.length === 0 && parsed.problems.length === 0) {
      problems.push(problem(file, bytes.length === 0 ? 'empty file: no Kubernetes objects'
        : parsed.documents === 0 ? 'no Kubernetes objects (only comments or blank lines)' : `no Kubernetes objects (${parsed.documents} empty document${parsed.documents === 1 ? '' : 's'})`));
    }
  }
  return { objects, problems, files, bytes: total };
}

/** Reads every manifest under `paths`. Throws when any input cannot be read (use `readManifests` to get both). */
export function loadManifests(paths: readonly string[], limits: LoadLimits = {}): SourcedObject[] {
  const { objects, problems } = readManifests(paths, limits);
  if (problems.length > 0) throw new Error(`${problems[0].manifest}: ${problems[0].reason}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
  return objects;
}
