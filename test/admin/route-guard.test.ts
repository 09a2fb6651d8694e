import { startAdminStack, type AdminStack } from './admin-fixtures';

/** The admin API answers for the routes it documents: 405 for other methods, 400 for undeclared query parameters. */

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

describe('methods', () => {
  it('TRACE on an admin path answers 405 with the allowed methods in Allow', async () => {
    const res = await s.http.trace('/admin/v1/groups').set('Authorization', s.adminAuth);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST, HEAD');
    expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('a method the resource does not have answers 405 (PUT on a group)', async () => {
    const res = await s.http.put('/admin/v1/groups/grp_x').set('Authorization', s.adminAuth).send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, PATCH, DELETE, HEAD');
  });

  it('an unknown path is still 404', async () => {
    expect((await s.http.trace('/admin/v1/nothing-here').set('Authorization', s.adminAuth)).status).toBe(404);
  });
});

describe('query parameters', () => {
  it('a parameter the operation does not declare answers 400 naming it (the old README said object=)', async () => {
    const res = await s.admin.get('/audit?object=usr_x');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'UNKNOWN_QUERY_PARAMETER', details: { parameters: ['object'] } });
  });

  it('declared parameters are accepted', async () => {
    expect((await s.admin.get('/audit?objectId=usr_x&limit=5')).status).toBe(200);
    expect((await s.admin.get('/groups?q=adm&sort=name')).status).toBe(200);
  });

  it('an operation without query parameters refuses any', async () => {
    const groupId = await s.defaultGroup('admins');
    const res = await s.admin.get(`/groups/${groupId}?verbose=1`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('UNKNOWN_QUERY_PARAMETER');
  });
});
