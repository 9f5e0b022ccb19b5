#!/usr/bin/env node
// End-to-end tests of the web workspace in real headless Chromium (Debian's `chromium`, driven by
// playwright-core), against the real server started in-process by e2e/harness.ts. `npm test` runs
// this after the unit tests; without Chromium it says plainly what it skipped and exits 0.
//
//   node scripts/run-e2e.mjs                 every e2e/*.e2e.ts
//   node scripts/run-e2e.mjs --screenshots   also refreshes docs/screenshots/ (npm run screenshots)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const screenshots = process.argv.includes('--screenshots');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!existsSync(chromium)) {
  console.log(
    `SKIPPED: the end-to-end browser tests (e2e/*.e2e.ts) did not run: no Chromium at ${chromium}. ` +
      'Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH); .ci/run installs it.',
  );
  process.exit(screenshots ? 1 : 0);
}

// The server serves packages/web/dist: test the app as it is now, not as it was last built.
const built = spawnSync(process.execPath, [join(root, 'scripts/build-web.mjs'), '--if-stale'], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);

const files = readdirSync(join(root, 'e2e'))
  .filter((name) => name.endsWith('.e2e.ts'))
  .map((name) => join('e2e', name));
console.log(`Running ${files.length} end-to-end test files in ${chromium}`);
const result = spawnSync(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=1',
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      CHROMIUM_PATH: chromium,
      ...(screenshots ? { SCREENSHOTS_DIR: join(root, 'docs/screenshots') } : {}),
    },
  },
);
process.exit(result.status ?? 1);
