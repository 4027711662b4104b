#!/usr/bin/env node
// The `vigil` command: runs the compiled CLI (built by `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('vigil: the compiled CLI is missing (dist/); run `npm run build` first\n');
  process.exit(1);
}
await import(entry);
