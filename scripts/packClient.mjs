// Packs the client SDK alone as `realtime-event-pipeline-client-<version>.tgz`: the built files that
// `dist/src/client/index.js` and `node.js` reach (and their declarations), with only the packages they import as
// dependencies. Why: installing the whole repository for a client also installs the server's native modules
// (better-sqlite3 compiled on install, uWebSockets.js, 172 MB of node_modules) and pins Node 20.
// Usage: npm run pack:client [-- --out DIR]   (after npm run build; prints the tarball's path)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const DIST = resolve('dist');
const ENTRIES = ['src/client/index', 'src/client/node'];
const NAME = 'realtime-event-pipeline-client';

/** Every file reached from `entries` through relative imports, and the bare specifiers met on the way. */
function closure(entries, extension) {
  const files = new Set();
  const packages = new Set();
  const visit = (file) => {
    if (files.has(file)) return;
    if (!existsSync(file)) throw new Error(`${relative('.', file)} is imported but missing: run npm run build first`);
    files.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.')) visit(resolve(dirname(file), fileName.replace(/\.js$/, extension)));
      else packages.add(fileName);
    }
  };
  for (const entry of entries) visit(join(DIST, entry + extension));
  return { files, packages };
}

/** The package a specifier names (`ws`, `@scope/pkg`), or null for Node's own modules. */
function packageOf(specifier) {
  const bare = specifier.replace(/^node:/, '');
  if (specifier.startsWith('node:') || builtinModules.includes(bare.split('/')[0])) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const root = JSON.parse(readFileSync('package.json', 'utf8'));
const code = closure(ENTRIES, '.js');
const types = closure(ENTRIES, '.d.ts');
const dependencies = {};
for (const specifier of [...code.packages, ...types.packages]) {
  const name = packageOf(specifier);
  if (name === null) continue;
  const range = root.dependencies[name];
  if (range === undefined) throw new Error(`the client imports ${name}, which package.json does not depend on`);
  dependencies[name] = range;
}

const exportOf = (entry) => ({ types: `./${entry}.d.ts`, default: `./${entry}.js` });
const manifest = {
  name: NAME,
  version: root.version,
  description: `The client SDK of ${root.name}: publish with acks after commit, subscribe with replay and resume.`,
  type: 'module',
  license: root.license,
  engines: { node: '>=20' },
  exports: { '.': exportOf(ENTRIES[0]), './node': exportOf(ENTRIES[1]), './package.json': './package.json' },
  types: `./${ENTRIES[0]}.d.ts`,
  dependencies: Object.fromEntries(Object.entries(dependencies).sort()),
};
const readme = `# ${NAME}

The TypeScript / JavaScript client of ${root.name}, packed alone (\`npm run pack:client\` in that repository).
\`import { Publisher, subscribe } from '${NAME}'\`; \`filePositionStore\` comes from \`'${NAME}/node'\`.
Everything else is as in the "Clients" section of the repository's README, with \`${NAME}\` in place of
\`${root.name}/client\`. It uses the platform's WebSocket (browsers, Node >= 22) or the \`ws\` package (Node 20).
`;

const outIndex = process.argv.indexOf('--out');
const out = resolve(outIndex === -1 ? '.' : process.argv[outIndex + 1]);
const staging = mkdtempSync(join(tmpdir(), 'pack-client-'));
try {
  for (const file of new Set([...code.files, ...types.files])) {
    const target = join(staging, relative(DIST, file));
    mkdirSync(dirname(target), { recursive: true });
    // The maps stay behind (as in the main package), so their comments go too: tools would look for them.
    writeFileSync(target, readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  }
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(staging, 'README.md'), readme);
  mkdirSync(out, { recursive: true });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: staging, encoding: 'utf8' }),
  );
  console.log(join(out, packed[0].filename));
} finally {
  rmSync(staging, { recursive: true, force: true });
}
