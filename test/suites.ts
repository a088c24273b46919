/** Finds and loads the shared suites (test/**\/*.suite.ts), which run in Node and in XS. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Suite } from './harness';
import { projectRoot } from './xs/lane';

export function suiteFiles(dir = path.join(projectRoot, 'test'), found: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) suiteFiles(full, found);
    else if (entry.name.endsWith('.suite.ts')) found.push(full);
  }
  return found.sort();
}

export async function loadSuites(): Promise<Suite[]> {
  const suites: Suite[] = [];
  for (const file of suiteFiles()) {
    const mod = (await import(pathToFileURL(file).href)) as { suite: Suite };
    suites.push(mod.suite);
  }
  return suites;
}
