import { startAdminStack, expectStatus, type AdminStack } from './admin-fixtures';

/**
 * Request validation comes from each operation's schema (src/admin/contract); its 400s keep the
 * shape and wording of the hand-written readers they replaced: the field named, the allowed values
 * listed, the limit stated, a did-you-mean for a misspelt field or value, and JSON null refused
 * where a value is required.
 */
let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

const error = (res: { status: number; body: { error?: { code: string; message: string; details?: Record<string, unknown> } } }) => {
  expect(res.status).toBe(400);
  return res.body.error!;
};

describe('a body that does not match the operation schema', () => {
  it('names an unknown field, lists the allowed ones and suggests the one meant', async () => {
    const e = error(await s.admin.post('/groups', { nmae: 'Sales' }));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.details?.field).toBe('nmae');
    expect(e.message).toBe('Unknown field "nmae" (did you mean "name"?); allowed: name, description, audience, kind, parentId, ownerId, rule');
  });

  it('refuses JSON null where a value is required, instead of reading it as absent', async () => {
    const e = error(await s.admin.post('/groups', { name: null }));
    expect(e).toMatchObject({ code: 'INVALID_REQUEST', message: '"name" must be a string, not null', details: { field: 'name' } });
    const g = expectStatus(await s.admin.post('/groups', { name: 'Null checks' }), 201).body.id as string;
    expect(error(await s.admin.patch(`/groups/${g}`, { name: null })).details?.field).toBe('name');
    expect(error(await s.admin.post('/console-links', { ttlSeconds: null })).message).toBe('"ttlSeconds" must be a number, not null');
  });

  it('says a required field is missing, and a required body is not an object', async () => {
    expect(error(await s.admin.post('/groups', {})).message).toBe('"name" is required');
    const res = await s.admin.post('/groups').set('Content-Type', 'application/json').send('[1]');
    expect(error(res)).toMatchObject({ message: 'The request body must be a JSON object', details: { field: 'body' } });
  });

  it('lists the allowed values of an enum, with the nearest one', async () => {
    const e = error(await s.admin.post('/groups', { name: 'Enum checks', audience: 'users' }));
    expect(e.message).toBe('"audience" must be one of user, customer (did you mean "user"?)');
    expect(e.details).toMatchObject({ field: 'audience', allowed: ['user', 'customer'] });
  });

  it('states the limit a value passes', async () => {
    expect(error(await s.admin.post('/groups', { name: 'x'.repeat(101) })).message).toBe('"name" is longer than 100 characters');
    expect(error(await s.admin.post('/console-links', { ttlSeconds: 59 })).message).toBe('"ttlSeconds" must be at least 60 (a whole number from 60 to 3600)');
    expect(error(await s.admin.post('/invitations', { email: 'a@example.com', groupIds: [] })).message).toBe('"groupIds" must not be empty');
  });

  it('refuses control characters and blank text; trims the ends', async () => {
    expect(error(await s.admin.post('/groups', { name: 'a\u0000b' })).message).toBe('"name" contains control characters');
    expect(error(await s.admin.post('/groups', { name: '   ' })).message).toBe('"name" must not be empty');
    expect(expectStatus(await s.admin.post('/groups', { name: '  Trimmed team\t' }), 201).body.name).toBe('Trimmed team');
  });

  it('names a field inside a nested object by its path', async () => {
    const e = error(await s.admin.post('/groups', { name: 'Nested', kind: 'dynamic', rule: { expresion: 'department = "x"' } }));
    expect(e.details?.field).toBe('rule.expresion');
    expect(e.message).toContain('did you mean "expression"?');
  });

  it('says "exactly one of" in a sentence of its own', async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'One of' }), 201).body.id as string;
    expect(error(await s.admin.post(`/groups/${g}/members`, {}))).toMatchObject({ message: 'Give exactly one of "userId" and "email"', details: { field: 'userId' } });
  });

  it('keeps the error code a field had before its schema', async () => {
    expect(error(await s.admin.post('/scim-tokens', { label: '<script>' })).code).toBe('SCIM_TOKEN_LABEL_INVALID');
    expect(error(await s.admin.post('/authorize', { userId: 'u', action: 'fly', target: 'Ticket' })).code).toBe('AUTHORIZE_INVALID');
    expect(error(await s.admin.post('/roles', { name: 'Bad', privileges: [{ target: 'Ticket', level: 'own' }] })).code).toBe('PRIVILEGES_INVALID');
  });
});

describe('query parameters', () => {
  it('are checked as the document says: numbers in range, enums', async () => {
    expect(error(await s.admin.get('/groups?limit=201')).message).toBe('"limit" must be at most 200 (a whole number from 1 to 200)');
    expect(error(await s.admin.get('/groups?limit=ten')).message).toBe('"limit" must be a number');
    expect(error(await s.admin.get('/groups?sort=size')).details).toMatchObject({ field: 'sort', allowed: ['name', '-name', 'memberCount', '-memberCount'] });
    expect(expectStatus(await s.admin.get('/groups?limit=2&sort=-name'), 200).body.limit).toBe(2);
  });
});
