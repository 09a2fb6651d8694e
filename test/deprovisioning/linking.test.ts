import { CORE_USER_URN } from '../../src/attributes/urns';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { expectScimError, fixture } from '../scim/http/helpers';

/** Issue 20's safe linking: allowed e-mail domains, and no silent merge with an admin-API-created user. */
let s: SyncStack;
beforeAll(async () => {
  s = await startSyncStack();
});
afterAll(() => s.close());

const scimUser = (userName: string, email = userName) => ({ schemas: [CORE_USER_URN], userName, emails: [{ value: email, type: 'work', primary: true }], active: true });

describe('allowed e-mail domains', () => {
  beforeAll(async () => {
    expect((await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: ['Example.com', 'okta.local'] })).status).toBe(200);
  });
  afterAll(async () => {
    expect((await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: [] })).status).toBe(200);
  });

  it("when the IdP creates a user in an allowed domain (Okta's documented body), then it is created", async () => {
    expect((await s.scim.post('/Users', fixture('okta/post-user.json'))).status).toBe(201);
  });

  it('when the IdP creates a user outside them, then 400 invalidValue names the domain and nothing is stored', async () => {
    const res = await s.scim.post('/Users', scimUser('mallory@evil.example.org'));
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('"evil.example.org"');
    expect(await s.runtime.deps.models.User.collection.countDocuments({ tenantId: s.tenantId, 'lc.userName': 'mallory@evil.example.org' })).toBe(0);
  });

  it('when an update adds an address outside them, then 400 names it; a user already outside can still be deactivated', async () => {
    const id = (await s.scim.post('/Users', scimUser('ann@example.com'))).body.id as string;
    const moved = await s.scim.patch(`/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'ann@gmail.com' }],
    });
    expectScimError(moved, 400, 'invalidValue');
    expect(moved.body.detail).toContain('"gmail.com"');
    // Narrow the list after the fact: the user outside it is still deactivated without an error.
    expect((await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: ['okta.local'] })).status).toBe(200);
    expect((await s.scim.patch(`/Users/${id}`, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);
    expect((await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: ['example.com', 'okta.local'] })).status).toBe(200);
  });
});

describe('a SCIM user matching an admin-API-created user', () => {
  it('when the IdP creates a user whose userName or e-mail matches one the admin API created, then 409 uniqueness names that user; after an explicit link the IdP adopts it (same id and access) and owns it', async () => {
    const created = await s.admin.post('/users', { userName: 'pat@example.com', email: 'pat@example.com', displayName: 'Pat' });
    expect(created.status).toBe(201);
    const patId = created.body.id as string;
    const team = await s.internalGroup('Pat team');
    expect((await s.admin.post(`/groups/${team}/members`, { userId: patId })).status).toBe(201);

    const byName = await s.scim.post('/Users', scimUser('pat@example.com'));
    expectScimError(byName, 409, 'uniqueness');
    expect(byName.body.detail).toContain(patId);
    const byEmail = await s.scim.post('/Users', scimUser('patricia', 'PAT@example.com'));
    expectScimError(byEmail, 409, 'uniqueness');
    expect(byEmail.body.detail).toContain(patId);

    const linked = await s.admin.post(`/users/${patId}/link`);
    expect(linked.status).toBe(200);
    expect((await s.admin.post(`/users/${patId}/link`)).status).toBe(200);
    const adopted = await s.scim.post('/Users', { ...scimUser('pat@example.com'), displayName: 'Pat from Okta', externalId: '00u-pat' });
    expect(adopted.status).toBe(201);
    expect(adopted.body).toMatchObject({ id: patId, displayName: 'Pat from Okta', externalId: '00u-pat' });
    expect((await s.membersOf(team)).get(patId)).toEqual(['manual']);
    // The IdP owns it now: a second create is the ordinary uniqueness conflict, and there is nothing left to link.
    const again = await s.scim.post('/Users', scimUser('pat@example.com'));
    expectScimError(again, 409, 'uniqueness');
    expect((await s.admin.post(`/users/${patId}/link`)).status).toBe(409);
    const audit = await s.runtime.deps.models.AuditEvent.collection.countDocuments({ tenantId: s.tenantId, action: 'user.linked', 'object.id': patId });
    expect(audit).toBe(1);
  });

  it('when the IdP creates a user matching one it created itself, then it is the ordinary uniqueness conflict', async () => {
    expect((await s.scim.post('/Users', scimUser('sam@example.com'))).status).toBe(201);
    const res = await s.scim.post('/Users', scimUser('sam@example.com'));
    expectScimError(res, 409, 'uniqueness');
    expect(res.body.detail).not.toContain('admin API');
  });
});
