#!/usr/bin/env node
// Writes a copy of wrangler.toml for local serving that builds nothing (no [build] section)
// and names its files by absolute path, so it can live anywhere (tests put it in a temp dir).
// `make` builds first; wrangler then only serves.   Usage: node scripts/wrangler-local.mjs OUT.toml
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function localConfig() {
  const lines = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').split('\n');
  const out = [];
  let skipping = false;
  for (const line of lines) {
    const table = /^\s*\[+([^\]]+)\]+\s*$/.exec(line);
    if (table) skipping = table[1].trim() === 'build' || table[1].trim().startsWith('build.');
    if (skipping) continue;
    const path = /^(\s*(?:main|directory)\s*=\s*)"([^"]+)"(.*)$/.exec(line);
    out.push(path ? `${path[1]}${JSON.stringify(resolve(ROOT, path[2]))}${path[3]}` : line);
  }
  return out.join('\n');
}

export function writeLocalConfig(file) {
  writeFileSync(file, localConfig());
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error('usage: node scripts/wrangler-local.mjs OUT.toml');
    process.exit(2);
  }
  writeLocalConfig(process.argv[2]);
}
