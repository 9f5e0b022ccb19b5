import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The NHS.UK stylesheet loads Frutiger from NHS.UK's font server and its icons from a root-relative
 * /assets path. Our Content-Security-Policy allows our own origin only, so the web-font rules are
 * dropped (Arial is the design system's own fallback) and the icons are bundled from the package.
 */
function nhsukStylesOwnOrigin(): Plugin {
  return {
    name: 'carebridge-nhsuk-own-origin',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('nhsuk-frontend') || !id.split('?')[0]?.endsWith('.css')) return undefined;
      return code
        .replace(/@font-face\{[^}]*\}/g, '')
        .replace(/url\(\/assets\//g, 'url(./assets/')
        .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '');
    },
  };
}

export default defineConfig({
  plugins: [nhsukStylesOwnOrigin(), react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline assets: the CSP allows images from our own origin (and data: for none we rely on).
    assetsInlineLimit: 0,
    sourcemap: false,
    // The NHS.UK stylesheet ships minified; minifying it again only trips on its old-IE hacks.
    cssMinify: false,
  },
  server: {
    proxy: {
      '/fhir': 'http://localhost:8080',
      '/auth': 'http://localhost:8080',
    },
  },
});
