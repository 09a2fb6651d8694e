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

describe('what a SCIM create checks, by what the tenant uses (TenantDoc.uses)', () => {
  const tenantDoc = async () => (await s.runtime.deps.models.Tenant.collection.findOne({ _id: s.tenantId } as never)) as { uses?: Record<string, unknown> } | null;

  it('when the admin API creates its first user, then the tenant is recorded as using them, before any SCIM create needs to know', async () => {
    // This file's earlier tests created users through the admin API; the record says so.
    expect((await tenantDoc())?.uses).toMatchObject({ adminCreatedUsers: true });
  });

  it('when creates arrive together (their checks share reads), then each is judged on its own userName and addresses', async () => {
    const byName = (await s.admin.post('/users', { userName: 'quinn@example.com', email: 'quinn.q@example.com', displayName: 'Quinn' })).body.id as string;
    const byEmail = (await s.admin.post('/users', { userName: 'rory', email: 'rory@example.com', displayName: 'Rory' })).body.id as string;
    const bodies = [
      scimUser('quinn@example.com', 'quinn.other@example.com'),
      scimUser('r.other@example.com', 'rory@example.com'),
      ...Array.from({ length: 6 }, (_, i) => scimUser(`fresh${i}@example.com`)),
      scimUser('quinn.q.other@example.com', 'QUINN.Q@example.com'),
    ];
    const answers = await Promise.all(bodies.map((body) => s.scim.post('/Users', body)));
    expect(answers.map((r) => r.status)).toEqual([409, 409, 201, 201, 201, 201, 201, 201, 409]);
    expect(answers[0]!.body.detail).toContain(byName);
    expect(answers[1]!.body.detail).toContain(byEmail);
    expect(answers[8]!.body.detail).toContain(byName);
  });

  it('when the tenant has no record (stored before it was kept), then every create checks for admin-created users and invitations as before', async () => {
    await s.runtime.deps.models.Tenant.collection.updateOne({ _id: s.tenantId } as never, { $unset: { uses: '' } });
    const admin = (await s.admin.post('/users', { userName: 'lee@example.com', email: 'lee@example.com', displayName: 'Lee' })).body.id as string;
    const team = await s.internalGroup('Lee team');
    expect((await s.admin.post('/invitations', { email: 'max@example.com', groupIds: [team] })).status).toBe(201);
    // Nothing recorded: a tenant without the record uses everything.
    expect((await tenantDoc())?.uses).toBeUndefined();
    const refused = await s.scim.post('/Users', scimUser('lee@example.com'));
    expectScimError(refused, 409, 'uniqueness');
    expect(refused.body.detail).toContain(admin);
    const max = (await s.scim.post('/Users', scimUser('max@example.com'))).body.id as string;
    expect((await s.membersOf(team)).get(max)).toEqual(['manual']);
  });
});
