// Writes docs/access-matrix.md from test/access/matrix.ts (npm run docs:access-matrix).
require('../test/helpers/ts-register.js');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { renderAccessMatrix } = require('../test/access/render-matrix.ts');

const file = join(__dirname, '..', 'docs', 'access-matrix.md');
writeFileSync(file, renderAccessMatrix());
console.log(`wrote ${file}`);
