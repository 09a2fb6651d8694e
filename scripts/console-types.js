// console/src/admin-api.d.ts: the admin API's answer types the console's client uses, generated from
// the document (itself generated from the zod operations: src/admin/contract), formatted as the
// project's prettier config says. Written by `npm run docs:openapi`; test/admin/console-types.test.ts
// fails when the file is not current.
require('../test/helpers/ts-register.js');
const { join } = require('node:path');
const prettier = require('prettier');
const { adminOpenApiDocument } = require('../src/admin/openapi.ts');
const { declarationsOf } = require('../src/admin/contract/typescript.ts');

const file = join(__dirname, '..', 'console', 'src', 'admin-api.d.ts');

/** The named schemas the console reads (with every schema they refer to). */
const CONSOLE_TYPES = ['Rule', 'RuleValidation', 'RulePreview', 'RuleInput', 'RuleUpdate', 'MappingInput', 'RuleValidationInput', 'RulePreviewInput'];

async function renderConsoleTypesFile() {
  const doc = adminOpenApiDocument();
  const text =
    "// Generated from the admin API's OpenAPI document (src/admin/contract, docs/openapi.json) by\n" +
    '// `npm run docs:openapi` (scripts/console-types.js). Do not edit: change the schemas instead.\n\n' +
    declarationsOf(doc.components.schemas, CONSOLE_TYPES);
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

module.exports = { renderConsoleTypesFile, consoleTypesFile: file };

// `node scripts/console-types.js` prints the file's text (test/admin/console-types.test.ts: prettier
// loads itself with a dynamic import, which jest's module sandbox does not run).
if (require.main === module) {
  renderConsoleTypesFile().then(
    (text) => process.stdout.write(text),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
