/**
 * Build of the dashboard: web/index.html + web/src/ -> web/dist/ (hashed assets under
 * web/dist/assets/, and .vite/manifest.json that the server reads to find the entry script).
 * `npm run build` (and so `npm ci`, through `prepare`) runs it after tsc.
 *
 * The page imports constants and pure functions from ../src/ (step ids, bands, geometry). Those
 * modules must stay free of node-only imports: the guard below fails the build, naming the importer,
 * instead of letting Vite stub a node built-in with a module that breaks at run time.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const NODE_BUILTINS = new Set(builtinModules);

function noNodeImports(): Plugin {
  return {
    name: 'vigil:no-node-imports',
    enforce: 'pre',
    resolveId(source, importer) {
      const bare = source.startsWith('node:') ? source.slice(5) : source.split('/')[0];
      if (source.startsWith('node:') || NODE_BUILTINS.has(bare)) {
        this.error(`${importer ?? 'the dashboard'} imports "${source}": the dashboard may import only browser-safe modules (pure src/ modules, or "import type")`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Served by the API server: index.html at `/`, everything else under `/web/`.
  base: '/web/',
  publicDir: false,
  plugins: [noNodeImports()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    sourcemap: true,
    // One small bundle; no polyfill script is needed by the browsers the dashboard supports.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 200,
    // The entry is called "app": assets/app-<hash>.js and assets/app-<hash>.css.
    rolldownOptions: { input: { app: fileURLToPath(new URL('index.html', import.meta.url)) } },
  },
});
