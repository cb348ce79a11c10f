// Builds the web console into dist/console (served at /console by src/http/console-routes.ts):
// the TypeScript of src/console bundled by esbuild into one ES module, plus the page and the
// stylesheet. Runs in `npm install` (prepare), before `npm start` and `npm test`, and in `npm run build`.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}src/console/`;
const out = `${root}dist/console/`;

rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}assets`, { recursive: true });
await build({
  entryPoints: [`${src}main.ts`],
  outfile: `${out}assets/console.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${src}index.html`, `${out}index.html`);
copyFileSync(`${src}console.css`, `${out}assets/console.css`);
copyFileSync(`${src}icon.svg`, `${out}assets/icon.svg`);
