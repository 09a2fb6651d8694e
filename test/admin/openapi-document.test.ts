import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { adminOpenApiDocument, adminOperations } from '../../src/admin/openapi';
import { renderOpenApiFile } from '../../src/admin/openapi-file';
import { contractViolation } from '../../src/admin/contract/response-check';
import { operation } from '../../src/admin/contract/operation';

/**
 * The document is generated from the operations (src/admin/contract), so it is what the routes
 * validate: these check that generation keeps the contract's parts (limits, enums, required fields,
 * null where a value is required) and that docs/openapi.json is the document served. No database.
 */
type Json = Record<string, unknown>;
const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };
const bodyOf = (path: string, method: string): Json => {
  const content = (doc.paths[path]?.[method]?.requestBody as { content: Record<string, { schema: Json }> }).content['application/json']!.schema;
  const ref = content.$ref as string | undefined;
  return ref ? doc.components.schemas[ref.replace('#/components/schemas/', '')]! : content;
};
const queryParam = (path: string, name: string): Json => ((doc.paths[path]?.get?.parameters ?? []) as Json[]).find((p) => p.name === name)!;

describe('docs/openapi.json', () => {
  it('is the document GET /admin/v1/openapi.json serves (run npm run docs:openapi after changing an operation)', () => {
    expect(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')).toBe(renderOpenApiFile());
  });
});

describe('the generated document', () => {
  it('states the limits the routes enforce: lengths, page sizes, counts', () => {
    const create = bodyOf('/groups', 'post') as { properties: Record<string, Json> };
    expect(create.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(create.properties.description).toMatchObject({ maxLength: 1000 });
    expect(queryParam('/groups', 'limit').schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200 });
    expect(queryParam('/invitations', 'limit').schema).toMatchObject({ maximum: 200 });
    const invite = bodyOf('/invitations', 'post') as { properties: Record<string, Json>; required: string[] };
    expect(invite.properties.groupIds).toMatchObject({ type: 'array', minItems: 1, maxItems: 50 });
    expect(invite.required.sort()).toEqual(['email', 'groupIds']);
  });

  it('declares text rules: printable text (control characters only as trimmed white space at the ends), required text not blank', () => {
    const name = (bodyOf('/groups', 'post') as { properties: Record<string, Json> }).properties.name!;
    // Every pattern the field carries must match (one: printable and not blank once trimmed, test/admin/text-schema.test.ts).
    const patterns = [name.pattern, ...((name.allOf ?? []) as Json[]).map((s) => s.pattern)].filter((p): p is string => typeof p === 'string').map((p) => new RegExp(p));
    const allowed = (text: string) => patterns.every((p) => p.test(text));
    expect(patterns.length).toBe(1);
    expect(allowed('Sales EMEA')).toBe(true);
    expect(allowed(' Sales\t')).toBe(true);
    expect(allowed('Sa\u0000les')).toBe(false);
    expect(allowed(' \t\u00a0\ufeff ')).toBe(false);
  });

  it('refuses unknown fields and says which field may be null', () => {
    const update = bodyOf('/groups/{id}', 'patch') as { additionalProperties: boolean; properties: Record<string, Json> };
    expect(update.additionalProperties).toBe(false);
    expect(update.properties.parentId).toMatchObject({ nullable: true });
    expect(update.properties.name!.nullable).toBeUndefined();
    const link = bodyOf('/console-links', 'post') as { properties: Record<string, Json> };
    expect(link.properties.ttlSeconds!.nullable).toBeUndefined();
  });

  it('says "exactly one of" where the route takes one of two fields', () => {
    expect(bodyOf('/groups/{id}/members', 'post').oneOf).toEqual([{ required: ['userId'] }, { required: ['email'] }]);
    expect(bodyOf('/groups/{id}/projects', 'post').oneOf).toEqual([{ required: ['name'] }, { required: ['projectId'] }]);
  });

  it('lists 400 and, on authenticated operations, 401 on every generated operation', () => {
    const missing = adminOperations.flatMap((op) => {
      const responses = doc.paths[op.path]?.[op.method]?.responses as Json;
      return ['400', ...(op.public ? [] : ['401'])].filter((s) => !(s in responses)).map((s) => `${op.method} ${op.path} ${s}`);
    });
    expect(missing).toEqual([]);
  });

  it('resolves every $ref to a declared schema', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
  });
});

describe('the response check (on in the test suite: test/helpers/global-setup.js)', () => {
  const op = operation({
    method: 'get',
    path: '/things/{id}',
    tag: 'Test',
    summary: 'A thing',
    responses: { 200: { description: 'OK', schema: z.strictObject({ id: z.string(), size: z.number().int().optional() }) } },
    errors: [404],
  });

  it('is switched on for this run, so every migrated route the suite calls is checked', () => {
    expect(process.env.ADMIN_RESPONSE_CHECK).toBe('1');
  });

  it('passes an answer the document declares', () => {
    expect(contractViolation(op, 200, { id: 'x', size: 3 })).toBeUndefined();
    expect(contractViolation(op, 404, { error: { code: 'THING_NOT_FOUND', message: 'No such thing', details: { id: 'x' } } })).toBeUndefined();
  });

  it('names a field the document does not declare', () => {
    expect(contractViolation(op, 200, { id: 'x', colour: 'red' })).toMatch(/GET \/things\/\{id\} answered 200 with a body the document does not declare: .*colour/);
  });

  it('names a field of the wrong type', () => {
    expect(contractViolation(op, 200, { id: 'x', size: 'big' })).toMatch(/size/);
  });

  it('names a status the document does not declare', () => {
    expect(contractViolation(op, 409, { error: { code: 'X', message: 'x' } })).toMatch(/answered 409, a status the document does not declare/);
    expect(contractViolation(op, 201, { id: 'x' })).toMatch(/answered 201, a status the document does not declare/);
  });
});
