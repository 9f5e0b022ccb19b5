import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The NHS.UK frontend, served from our own origin under `<mount>/assets/`. Its stylesheet points
 * at NHS.UK's font CDN and at root-relative images; we drop the web-font rules (the design
 * system's fallback, Arial, is what users without Frutiger see anyway) and re-point the images, so
 * the sign-in page makes no third-party request.
 */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * A module script: marks the page as supported (the NHS.UK components only enhance pages that say
 * so) and starts them, which among other things moves focus to an error summary.
 */
const INIT_SCRIPT = `import { initAll } from './nhsuk-frontend.min.js';
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
`;

export function loadNhsukAssets(assetPath: string): Map<string, StaticAsset> {
  const require = createRequire(import.meta.url);
  const distribution = join(dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk');
  const assets = new Map<string, StaticAsset>();
  const css = readFileSync(join(distribution, 'nhsuk-frontend.min.css'), 'utf8')
    .replace(/@font-face\{[^}]*\}/g, '')
    .replace(/url\(\/assets\//g, `url(${assetPath}/`)
    .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '');
  assets.set('nhsuk-frontend.min.css', { body: Buffer.from(css), contentType: 'text/css; charset=utf-8' });
  const script = readFileSync(join(distribution, 'nhsuk-frontend.min.js'), 'utf8').replace(
    /\/\/# sourceMappingURL=\S+\s*$/,
    '',
  );
  assets.set('nhsuk-frontend.min.js', {
    body: Buffer.from(script),
    contentType: 'text/javascript; charset=utf-8',
  });
  assets.set('init.js', { body: Buffer.from(INIT_SCRIPT), contentType: 'text/javascript; charset=utf-8' });
  const images = join(distribution, 'assets', 'images');
  for (const name of readdirSync(images)) {
    const contentType = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))];
    if (contentType !== undefined) {
      assets.set(`images/${name}`, { body: readFileSync(join(images, name)), contentType });
    }
  }
  return assets;
}
