import { startAdminStack, type AdminStack } from './admin-fixtures';
import { adminOpenApiDocument } from '../../src/admin/openapi';

/**
 * Rules, SSO mappings, sync monitoring, the audit log and the provisioning log are declared once in
 * the zod registry (issue 22): what their routes refuse is what the document says, with the old
 * codes (RULE_INVALID_FIELD, RULE_INVALID_QUERY, SYNC_INVALID_QUERY) and messages that name the
 * field, the allowed values and the limit.
 */
let s: AdminStack;
let target: string;
beforeAll(async () => {
  s = await startAdminStack();
  target = (await s.admin.post('/groups', { name: 'Contract target' }).expect(201)).body.id;
});
afterAll(() => s.close());

type Json = Record<string, unknown>;
const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, { properties: Record<string, Json>; required?: string[] }> } };
const error = (res: { status: number; body: { error: Json } }) => ({ status: res.status, ...res.body.error });

describe('rule and mapping bodies', () => {
  it('JSON null is refused as a wrong type, never read as absent', async () => {
    expect(error(await s.admin.post('/rules', { name: null, expression: 'title pr', targetGroupId: target }))).toMatchObject({
      status: 400,
      code: 'RULE_INVALID_FIELD',
      message: '"name" must be a string, not null',
      details: { field: 'name' },
    });
    expect(error(await s.admin.post('/rules/preview', { expression: 'title pr', sampleSize: null }))).toMatchObject({ status: 400, details: { field: 'sampleSize' } });
    const nullBody = await s.http.post('/admin/v1/rules').set('Authorization', s.adminAuth).set('Content-Type', 'application/json').send('null');
    expect(error(nullBody)).toMatchObject({ status: 400, message: 'The request body must be a JSON object', details: { field: 'body' } });
  });

  it('an unknown field names the allowed ones with a did-you-mean', async () => {
    const res = await s.admin.post('/rules', { name: 'Typo', expresion: 'title pr', targetGroupId: target });
    expect(error(res)).toMatchObject({ status: 400, code: 'RULE_INVALID_FIELD', details: { field: 'expresion', allowed: ['name', 'expression', 'targetGroupId', 'enabled', 'priority'] } });
    expect(res.body.error.message).toMatch(/^Unknown field "expresion" \(did you mean "expression"\?\); allowed: /);
  });

  it("limits are the schema's: name length, priority range, preview sample size", async () => {
    expect(error(await s.admin.post('/rules', { name: 'x'.repeat(201), expression: 'title pr', targetGroupId: target }))).toMatchObject({
      message: '"name" is longer than 200 characters',
      details: { field: 'name' },
    });
    expect(error(await s.admin.post('/rules', { name: 'P', expression: 'title pr', targetGroupId: target, priority: 1_000_001 }))).toMatchObject({
      code: 'RULE_INVALID_FIELD',
      message: '"priority" must be at most 1000000 (a whole number from -1000000 to 1000000)',
    });
    expect(error(await s.admin.post('/rules/preview', { expression: 'title pr', sampleSize: 101 }))).toMatchObject({
      message: '"sampleSize" must be at most 100 (a whole number from 0 to 100)',
      details: { field: 'sampleSize' },
    });
  });

  it('a blank rule name is refused; a name with spaces at its ends is stored trimmed', async () => {
    expect(error(await s.admin.post('/rules', { name: '   ', expression: 'title pr', targetGroupId: target }))).toMatchObject({ status: 400, details: { field: 'name' } });
    const created = await s.admin.post('/rules', { name: '  Trimmed  ', expression: 'title pr', targetGroupId: target, enabled: false });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe('Trimmed');
  });

  it('a mapping of the longest IdP group name without a name gets a default name within the limit', async () => {
    const idpGroup = 'G'.repeat(256);
    const res = await s.admin.post('/mappings', { idpGroup, targetGroupId: target, enabled: false });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'mapping', idpGroup });
    expect(res.body.name).toBe(`SSO group ${idpGroup}`.slice(0, 200));
  });

  it('a blank IdP group is refused, and one longer than 256 characters', async () => {
    expect(error(await s.admin.post('/mappings', { idpGroup: '  ', targetGroupId: target }))).toMatchObject({
      status: 400,
      code: 'RULE_INVALID_FIELD',
      message: '"idpGroup" must not be blank',
      details: { field: 'idpGroup' },
    });
    expect(error(await s.admin.post('/mappings', { idpGroup: 'G'.repeat(257), targetGroupId: target }))).toMatchObject({ message: '"idpGroup" is longer than 256 characters' });
  });

  it('GET /rules?kind= names the allowed kinds', async () => {
    expect(error(await s.admin.get('/rules?kind=mappings'))).toMatchObject({
      status: 400,
      code: 'RULE_INVALID_QUERY',
      message: '"kind" must be one of rule, mapping (did you mean "mapping"?)',
      details: { field: 'kind', allowed: ['rule', 'mapping'] },
    });
  });
});

describe('sync, audit and provisioning-log queries', () => {
  it('sync page sizes and job states are checked by the schema, with the old code', async () => {
    expect(error(await s.admin.get('/sync/failures?limit=0'))).toMatchObject({ status: 400, code: 'SYNC_INVALID_QUERY', details: { field: 'limit' } });
    expect(error(await s.admin.get('/sync/jobs?state=done'))).toMatchObject({ status: 400, code: 'SYNC_INVALID_QUERY', details: { field: 'state', allowed: ['waiting', 'delayed', 'active'] } });
  });

  it('the provisioning log takes a method in any case and names the methods otherwise', async () => {
    expect((await s.admin.get('/provisioning-log?method=patch')).status).toBe(200);
    expect(error(await s.admin.get('/provisioning-log?method=FETCH'))).toMatchObject({
      status: 400,
      message: '"method" must be one of GET, POST, PUT, PATCH, DELETE',
      details: { field: 'method' },
    });
    expect(error(await s.admin.get('/provisioning-log?limit=501'))).toMatchObject({ status: 400, details: { field: 'limit' } });
  });

  it('audit times must be RFC 3339 with an offset; names and actions have their limits', async () => {
    expect(error(await s.admin.get('/audit?from=2026-12-06T09:30:00'))).toMatchObject({ status: 400, message: '"from" must be an RFC 3339 date-time, e.g. 2026-12-06T09:30:00Z' });
    expect(error(await s.admin.get(`/audit?actorName=${'n'.repeat(301)}`))).toMatchObject({ status: 400, message: '"actorName" is longer than 300 characters' });
    expect(error(await s.admin.get(`/audit?action=${'a'.repeat(101)}`))).toMatchObject({ status: 400, details: { field: 'action' } });
  });
});

describe('the document', () => {
  it('states what the rule readers checked: lengths, ranges, required fields, no unknown fields', () => {
    const input = doc.components.schemas.RuleInput!;
    expect(input).toMatchObject({ additionalProperties: false });
    expect(input.required!.sort()).toEqual(['expression', 'name', 'targetGroupId']);
    expect(input.properties.name).toMatchObject({ minLength: 1, maxLength: 200 });
    expect(input.properties.expression).toMatchObject({ minLength: 1, maxLength: 4096 });
    expect(input.properties.priority).toMatchObject({ type: 'integer', minimum: -1_000_000, maximum: 1_000_000 });
    expect(doc.components.schemas.MappingInput!.properties.idpGroup).toMatchObject({ maxLength: 256, pattern: '\\S' });
    expect(doc.components.schemas.RulePreviewInput!.properties.sampleSize).toMatchObject({ minimum: 0, maximum: 100 });
  });

  it("states the provisioning log's any-case method as a pattern", () => {
    const method = ((doc.paths['/provisioning-log']!.get!.parameters as Json[]).find((p) => p.name === 'method')!.schema as { pattern: string }).pattern;
    expect(['GET', 'patch', 'Delete'].every((m) => new RegExp(method).test(m))).toBe(true);
    expect(new RegExp(method).test('FETCH')).toBe(false);
  });
});
