import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminOpenApiDocument } from '../../src/admin/openapi';
import { MATRIX } from './matrix';
import { renderAccessMatrix } from './render-matrix';

/** docs/access-matrix.md is the matrix rendered; a stale file or an operation without a row fails here, without a database. */
describe('docs/access-matrix.md', () => {
  it('is the rendering of test/access/matrix.ts (run npm run docs:access-matrix after changing it)', () => {
    expect(readFileSync(join(__dirname, '..', '..', 'docs', 'access-matrix.md'), 'utf8')).toBe(renderAccessMatrix());
  });

  it('has a row for every operation of the OpenAPI document, and for no other', () => {
    const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${path}`));
    expect(Object.keys(MATRIX).sort()).toEqual(ops.sort());
  });
});
