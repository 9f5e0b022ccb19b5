#!/usr/bin/env node
// Builds the web workspace (packages/web) into packages/web/dist with Vite, where the server serves it.
//   --if-stale   skip the build when dist is newer than every source it is built from (so `npm start`
//                does not rebuild an unchanged app)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'packages/web');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path)
    .filter((name) => name !== 'dist' && name !== 'node_modules')
    .reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

if (process.argv.includes('--if-stale') && existsSync(join(web, 'dist/index.html'))) {
  // The app also bundles tables from the domain package's sources.
  const sources = Math.max(newest(web), newest(join(root, 'packages/domain/src')));
  if (statSync(join(web, 'dist/index.html')).mtimeMs > sources) process.exit(0);
}

const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
  cwd: web,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
