// Lets a plain `node` child process (one that jest does not transform) require our TypeScript
// sources: .ts files are compiled with @swc/core, as jest's own transform does.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

// `.ts` goes before `.json` in the resolution order, so './catalog' finds catalog.ts, not catalog.json.
const later = ['.json', '.node'].map((ext) => [ext, require.extensions[ext]]);
for (const [ext] of later) delete require.extensions[ext];
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
for (const [ext, load] of later) require.extensions[ext] = load;
