import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { declarationsOf } from '../../src/admin/contract/typescript';

const root = join(__dirname, '..', '..');
const consoleTypesFile = join(root, 'console', 'src', 'admin-api.d.ts');

/**
 * The console's client (console/src, built on its own) takes the admin API's rule types from
 * console/src/admin-api.d.ts, generated from the document the zod operations generate: a schema
 * change reaches the console's type check, not a hand copy. No database.
 */
describe('console/src/admin-api.d.ts', () => {
  it('is generated from the current document (run npm run docs:openapi after changing a schema)', async () => {
    // The generator runs as npm runs it (a plain node process: prettier does not load inside jest's module sandbox).
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'scripts', 'console-types.js')], { cwd: root, maxBuffer: 10 * 1024 * 1024 });
    expect(readFileSync(consoleTypesFile, 'utf8')).toBe(stdout);
  });

  it('carries the rule types the console reads and sends', () => {
    const text = readFileSync(consoleTypesFile, 'utf8');
    for (const name of ['Rule', 'RuleValidation', 'RulePreview', 'PreviewUser', 'RuleRunResult', 'RuleInput', 'RuleUpdate', 'MappingInput', 'RulePreviewInput', 'RuleValidationInput']) {
      expect(text).toContain(`export type ${name} =`);
    }
  });

  it('is the only place the console declares them (no hand copy in its pages)', () => {
    const dir = join(root, 'console', 'src', 'pages');
    const copies = readdirSync(dir).filter((f) => /\b(interface|type) (Rule|RulePreview|Preview|Validation|PreviewUser)\b/.test(readFileSync(join(dir, f), 'utf8')));
    expect(copies).toEqual([]);
  });
});

describe('declarations from JSON Schema', () => {
  it('writes required and optional fields, enums, nullable values, unions, arrays and references', () => {
    const text = declarationsOf(
      {
        Thing: {
          type: 'object',
          description: 'A thing',
          properties: {
            id: { type: 'string' },
            size: { type: 'integer', nullable: true },
            kind: { type: 'string', enum: ['a', 'b'] },
            parts: { type: 'array', items: { $ref: '#/components/schemas/Part' } },
            either: { oneOf: [{ type: 'string' }, { type: 'boolean' }] },
          },
          required: ['id', 'kind'],
          additionalProperties: false,
        },
        Part: { type: 'object', properties: {}, additionalProperties: {} },
        Unused: { type: 'string' },
      },
      ['Thing'],
    );
    expect(text).toBe(
      'export type Part = Record<string, unknown>;\n\n' +
        '/** A thing */\n' +
        'export type Thing = {\n  id: string;\n  size?: number | null;\n  kind: "a" | "b";\n  parts?: Part[];\n  either?: string | boolean;\n};\n',
    );
  });
});
