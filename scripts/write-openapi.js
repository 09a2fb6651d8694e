// Writes docs/openapi.json, the admin API's OpenAPI document as GET /admin/v1/openapi.json serves it,
// and console/src/admin-api.d.ts, the console's types generated from it (npm run docs:openapi).
// test/admin/openapi-document.test.ts and test/admin/console-types.test.ts fail when they are not current.
require('../test/helpers/ts-register.js');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { renderOpenApiFile } = require('../src/admin/openapi-file.ts');
const { renderConsoleTypesFile, consoleTypesFile } = require('./console-types.js');

const file = join(__dirname, '..', 'docs', 'openapi.json');
writeFileSync(file, renderOpenApiFile());
console.log(`wrote ${file}`);
renderConsoleTypesFile().then(
  (text) => {
    writeFileSync(consoleTypesFile, text);
    console.log(`wrote ${consoleTypesFile}`);
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
