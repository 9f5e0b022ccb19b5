#!/usr/bin/env node
// Compiles the workspaces (tsc -b, incremental: fast when nothing changed), copies the SQL
// migrations next to the compiled store, where the server reads them at start, and builds the web
// workspace (Vite) into packages/web/dist, which the server serves at `/`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const from = `${root}packages/server/src/store/migrations`;
const to = `${root}packages/server/dist/store/migrations`;
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from).filter((name) => name.endsWith('.sql'))) {
  cpSync(`${from}/${file}`, `${to}/${file}`);
}

const web = spawnSync(process.execPath, [`${root}scripts/build-web.mjs`, '--if-stale'], {
  cwd: root,
  stdio: 'inherit',
});
if (web.status !== 0) process.exit(web.status ?? 1);
