// Builds the web console into dist/console (served at /console by src/http/console-routes.ts):
// the TypeScript of src/console bundled by esbuild into one ES module, plus the page and the
// stylesheet. Runs in `npm install` (prepare), before `npm start` and `npm test`, and in `npm run build`.
// A test may bundle another step table in place of src/domain/steps/index.ts (`stepsModule`): the
// console reads every step type from that table, so a new type shows up without a console change.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}src/console/`;
const STEPS_INDEX = resolve(root, 'src/domain/steps/index.ts');

/** Resolves every import of the step table to `module`, except the module's own import of the real one. */
function stepTable(module: string): Plugin {
  return {
    name: 'step-table',
    setup(b) {
      b.onResolve({ filter: /steps\/index\.js$/ }, (args) => {
        if (args.importer === module) return undefined;
        const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        return target === STEPS_INDEX ? { path: module } : undefined;
      });
    },
  };
}

export async function buildConsole(out = `${root}dist/console/`, options: { stepsModule?: string } = {}): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(`${out}/assets`, { recursive: true });
  await build({
    entryPoints: [`${src}main.ts`],
    outfile: `${out}/assets/console.js`,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: options.stepsModule ? [stepTable(options.stepsModule)] : [],
  });
  copyFileSync(`${src}index.html`, `${out}/index.html`);
  copyFileSync(`${src}console.css`, `${out}/assets/console.css`);
  copyFileSync(`${src}icon.svg`, `${out}/assets/icon.svg`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildConsole();
