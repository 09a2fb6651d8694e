// Writes docs/openapi.json, the admin API's OpenAPI document as GET /admin/v1/openapi.json serves it
// (npm run docs:openapi). test/admin/openapi-document.test.ts fails when the file is not current.
require('../test/helpers/ts-register.js');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { renderOpenApiFile } = require('../src/admin/openapi-file.ts');

const file = join(__dirname, '..', 'docs', 'openapi.json');
writeFileSync(file, renderOpenApiFile());
console.log(`wrote ${file}`);
