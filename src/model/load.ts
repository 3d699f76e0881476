// Reads manifests: YAML (multi-document) or JSON files, or folders of them.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { K8sObject, SourcedObject } from './types';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The manifest files under `paths` (files as given; folders searched recursively), sorted per folder. */
export function manifestFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (EXTENSIONS.includes(extname(entry.name).toLowerCase())) files.push(full);
        }
      };
      walk(path);
    } else {
      files.push(path);
    }
  }
  return files;
}

/** The objects of a manifest text (YAML or JSON, `List` objects kept as they are). */
export function parseManifest(text: string, name = '<input>'): K8sObject[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(text);
      return (Array.isArray(parsed) ? parsed : [parsed]).filter((o) => o && typeof o === 'object');
    } catch {
      // not JSON after all: YAML below
    }
  }
  const objects: K8sObject[] = [];
  // Parse document by document so that a large file never holds every document's syntax tree at once.
  for (const chunk of splitDocuments(text)) {
    for (const doc of parseAllDocuments(chunk, { version: '1.1' }) as any[]) {
      if (doc.errors?.length) throw new Error(`${name}: ${doc.errors[0].message}`);
      const value = doc.toJS({ maxAliasCount: 1000 });
      if (value && typeof value === 'object') objects.push(value);
    }
  }
  return objects;
}

/** Splits a multi-document YAML text at `---` lines (chunks of about 64 documents). */
function* splitDocuments(text: string): IterableIterator<string> {
  const lines = text.split('\n');
  let start = 0;
  let documents = 0;
  for (let i = 0; i < lines.length; i++) {
    if (/^---(\s|$)/.test(lines[i]) && ++documents % 64 === 0) {
      yield lines.slice(start, i).join('\n');
      start = i;
    }
  }
  yield lines.slice(start).join('\n');
}

/** Reads every manifest under `paths`. */
export function loadManifests(paths: readonly string[]): SourcedObject[] {
  const out: SourcedObject[] = [];
  for (const file of manifestFiles(paths)) {
    for (const object of parseManifest(readFileSync(file, 'utf8'), file)) out.push({ object, manifest: file });
  }
  return out;
}
