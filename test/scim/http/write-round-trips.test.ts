import type { CommandStartedEvent } from 'mongodb';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { expectStatus, fixture, fixtureWithIds } from './helpers';
import { markTenantUses } from '../../../src/domain/tenants';

/**
 * The database commands each SCIM write makes before it answers, per request shape the IdPs send
 * (bodies from test/fixtures), counted with the driver's command events. Every round trip on a
 * write's path adds to a tenant's latency when the database is busy (issue 24: another tenant's
 * import), so each expected list below names why each command is needed; a change that adds one
 * back fails here and must say why. Which run side by side is noted (`∥`): the count is what the
 * database serves, the sequential depth what the client waits for.
 *
 * Left out of the counts, because they are off the request's path: the provisioning log (written
 * once the response is sent), the token's last-request mark (throttled, fire-and-forget) and the
 * tenant's access-version bump (fire-and-forget, drops the permission caches). The first request's
 * token and tenant reads, and the system-groups read, are cached: a warm-up request makes them.
 */

const OKTA_USER_ID = '23a35c27-23d3-4c03-b4c5-6443c09e7173';
const OKTA_OTHER_USER_ID = '89bb1940-b905-4575-9e7f-6f887cfb368e';
const ENTRA_USER_ID = 'f648f8d5ea4e4cd38e9c';

let stack: TestStack;
const seen: string[] = [];
const offPath = (name: string, collection: string) => collection === 'provisioning_log' || collection === 'scim_tokens' || (collection === 'tenants' && name === 'findAndModify');

beforeAll(async () => {
  stack = await startTestStack({ monitorCommands: true });
  stack.runtime.db.connection.getClient().on('commandStarted', (e: CommandStartedEvent) => {
    const collection = (e.command as Record<string, unknown>)[e.commandName];
    if (typeof collection !== 'string' || offPath(e.commandName, collection)) return;
    seen.push(`${e.commandName} ${collection}`);
  });
  // Warm-up: the token, the tenant, its system groups and its rule set are read once, then cached.
  const warm = expectStatus(await stack.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'warm.up@example.com' }), 201).body.id as string;
  const group = await createGroup();
  expectStatus(await stack.scim.patch(`/Groups/${group}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_USER_ID]: warm })), 204);
  expectStatus(await stack.scim.patch(`/Groups/${group}`, fixtureWithIds('entra/patch-group-remove-member.json', { [ENTRA_USER_ID]: warm })), 204);
  // A deactivation and a reactivation: the tenant's grant data (what groups and roles give) is loaded once for access differences, then cached.
  expectStatus(await stack.scim.patch(`/Users/${warm}`, fixture('okta/patch-user-deactivate.json')), 200);
  expectStatus(await stack.scim.patch(`/Users/${warm}`, { ...fixture('okta/patch-user-deactivate.json'), Operations: [{ op: 'replace', value: { active: true } }] }), 200);
});
afterAll(() => stack?.close());

/** The commands `request` made, sorted (concurrent ones start in no fixed order). */
async function commandsOf(request: () => Promise<unknown>): Promise<string[]> {
  seen.length = 0;
  await request();
  return [...seen].sort();
}

async function createUser(body: Record<string, unknown>): Promise<string> {
  return expectStatus(await stack.scim.post('/Users', body), 201).body.id as string;
}

let groups = 0;
async function createGroup(): Promise<string> {
  return expectStatus(await stack.scim.post('/Groups', { ...fixture('okta/post-group.json'), displayName: `Group ${++groups}` }), 201).body.id as string;
}

/** Entra's user body under another userName (each test its own user). */
const entraUser = (userName: string) => ({ ...fixture('entra/post-user.json'), userName });

describe('SCIM user writes', () => {
  // Okta's user: created, replaced, deactivated, in this order.
  let id: string;

  it("Okta's POST /Users: the tenant's settings, the insert with its audit events, then the audit insert and its settling", async () => {
    const commands = await commandsOf(async () => {
      id = expectStatus(await stack.scim.post('/Users', fixture('okta/post-user.json')), 201).body.id as string;
    });
    expect(commands).toEqual(
      [
        // The tenant's allowed e-mail domains (the address's domain is new), and what the tenant uses
        // (TenantDoc.uses): no admin-API-created user and no invitation here, so neither is looked for.
        'find tenants',
        // The user, its audit events on it (pendingAudit) and its outbox mark: one single-document write.
        'insert users',
        // ∥ The audit trail, written before the answer (group commit); then the events leave the user.
        'insert audit_events',
        'update users',
        // ∥ The attribute values seen (the console's value suggestions): an upsert per new value (locale).
        'update attribute_values',
      ].sort(),
    );
  });

  it("Okta's POST /Users in a tenant that has admin-API-created users and invitations: both are looked for", async () => {
    await markTenantUses(stack.runtime.deps.models, stack.tenantId, 'adminCreatedUsers');
    await markTenantUses(stack.runtime.deps.models, stack.tenantId, 'invitations');
    const body = { ...fixture('okta/post-user.json'), userName: 'uses.both@example.com', emails: [{ primary: true, value: 'uses.both@example.com', type: 'work' }] };
    const commands = await commandsOf(async () => expectStatus(await stack.scim.post('/Users', body), 201));
    expect(commands).toEqual(
      [
        'find tenants',
        // ∥ An admin-API user holding the userName, or (∥) one of the e-mail addresses: refused or adopted (safe linking).
        'find users',
        'find users',
        'insert users',
        // ∥ Pending invitations for its address (they add memberships).
        'find invitations',
        'insert audit_events',
        'update users',
      ].sort(),
    );
  });

  describe('on the user Okta created', () => {
    it("Okta's PUT /Users/{id}: read, compare-and-set, then the audit insert and its settling beside the answer's memberships read", async () => {
      const commands = await commandsOf(async () => expectStatus(await stack.scim.put(`/Users/${id}`, fixtureWithIds('okta/put-user.json', { [OKTA_USER_ID]: id })), 200));
      expect(commands).toEqual(
        [
          // The user as stored: the PUT is computed on it (and its If-Match checked).
          'find users',
          // The change, its audit event and the outbox mark, applied only to the version read (optimistic concurrency).
          'findAndModify users',
          // The audit trail before the answer, then the event leaves the user (the sweeper writes it after a crash).
          'insert audit_events',
          'update users',
          // ∥ The answer's `groups`, read beside the audit trail. No settings read: no e-mail domain is added.
          'find memberships',
        ].sort(),
      );
    });

    it("Okta's PATCH deactivate: the breaker's settings and window counts are read, and the user's access difference", async () => {
      const commands = await commandsOf(async () => expectStatus(await stack.scim.patch(`/Users/${id}`, fixture('okta/patch-user-deactivate.json')), 200));
      expect(commands).toEqual(
        [
          'find users',
          // The deprovisioning breaker (a deactivation only): the tenant's settings, read once for the request…
          'find tenants',
          // …and the window's deprovisions, three counts side by side (deactivations, deletions, group removals).
          'aggregate users',
          'aggregate audit_events',
          'find audit_events',
          'findAndModify users',
          // The user's access difference (access.changed on the deactivation's own event): the tenant's access version,
          // the user and their memberships read afresh (the grant data is the tenant's, cached since the warm-up).
          'find tenants',
          'find users',
          'find memberships',
          'insert audit_events',
          'update users',
          'find memberships',
        ].sort(),
      );
    });
  });

  it("Entra's PATCH replacing attributes (a new e-mail domain): the settings are read for the allowed domains, once", async () => {
    const id = await createUser(entraUser('entra.replace@testuser.com'));
    const commands = await commandsOf(async () => expectStatus(await stack.scim.patch(`/Users/${id}`, fixture('entra/patch-user-replace-attributes-aadoptscim062020.json')), 200));
    expect(commands).toEqual(
      [
        'find users',
        // The address's domain is new to the user: checked against the tenant's allowed domains.
        'find tenants',
        'findAndModify users',
        'insert audit_events',
        'update users',
        'find memberships',
      ].sort(),
    );
  });

  it('a PATCH that changes no address (a department, as a rule-driving IdP change) reads no settings', async () => {
    const id = await createUser(entraUser('entra.department@testuser.com'));
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Sales' }],
    };
    const commands = await commandsOf(async () => expectStatus(await stack.scim.patch(`/Users/${id}`, body), 200));
    // ∥ The value seen (a new department) is recorded beside the audit trail, as on every write.
    expect(commands).toEqual(['find users', 'findAndModify users', 'insert audit_events', 'update users', 'find memberships', 'update attribute_values'].sort());
  });
});

describe('SCIM group member changes', () => {
  it("Entra's PATCH adding a member who never was one: the membership is inserted without reading it first", async () => {
    const [user, group] = await Promise.all([createUser({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'entra.member@example.com' }), createGroup()]);
    const commands = await commandsOf(async () => expectStatus(await stack.scim.patch(`/Groups/${group}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_USER_ID]: user })), 204));
    expect(commands).toEqual(
      [
        // The group as stored (404, If-Match).
        'find groups',
        // Members must be users of this tenant: one read for the list (400 before any write).
        'find users',
        // The change's position (ordered member writes: the last acknowledged write wins)…
        'findAndModify groups',
        // …then the version bump carrying the change's intent (delta and audit event) for the sweeper.
        'findAndModify groups',
        // The membership, inserted at the change's position: no document was there, so none is read, before or after.
        'insert memberships',
        // ∥ A user or the group deleted meanwhile would leave an orphan: both checked side by side.
        'find groups',
        'find users',
        // The audit event, then the intent leaves the group.
        'insert audit_events',
        'update groups',
      ].sort(),
    );
  });

  it("Entra's PATCH removing a member: the breaker decides on the removal, and the removal's result needs no re-read", async () => {
    const [user, group] = await Promise.all([createUser({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'entra.leaver@example.com' }), createGroup()]);
    expectStatus(await stack.scim.patch(`/Groups/${group}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_USER_ID]: user })), 204);
    const commands = await commandsOf(async () => expectStatus(await stack.scim.patch(`/Groups/${group}`, fixtureWithIds('entra/patch-group-remove-member.json', { [ENTRA_USER_ID]: user })), 204));
    expect(commands).toEqual(
      [
        'find groups',
        // The deprovisioning breaker: the tenant's settings, then which removals are current IdP members…
        'find tenants',
        'find memberships',
        // …and whether the group matters for access: the rule set's version (the set is cached), then ∥ roles ∥ resources granted to it.
        'find tenants',
        'find role_assignments',
        'find resource_grants',
        'findAndModify groups',
        'findAndModify groups',
        // The ordered removal: the membership's position read, the update conditioned on it (its result needs no re-read)…
        'find memberships',
        'update memberships',
        // …and a membership another source left meanwhile ended too (its last source was ours): tombstoned, or deleted.
        'update memberships',
        'delete memberships',
        'insert audit_events',
        'update groups',
      ].sort(),
    );
  });

  it("Okta's PATCH updating members (remove one, add one): each side as above, nothing read twice", async () => {
    const [kept, added, group] = await Promise.all([
      createUser({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'okta.removed@example.com' }),
      createUser({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'okta.added@example.com' }),
      createGroup(),
    ]);
    expectStatus(await stack.scim.patch(`/Groups/${group}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_USER_ID]: kept })), 204);
    const body = fixtureWithIds('okta/patch-group-update-members.json', { [OKTA_OTHER_USER_ID]: kept, [OKTA_USER_ID]: added });
    const commands = await commandsOf(async () => expectStatus(await stack.scim.patch(`/Groups/${group}`, body), 204));
    expect(commands).toEqual(
      [
        'find groups',
        'find users',
        'find tenants',
        'find memberships',
        'find tenants',
        'find role_assignments',
        'find resource_grants',
        'findAndModify groups',
        'findAndModify groups',
        'insert memberships',
        'find memberships',
        'update memberships',
        'update memberships',
        'delete memberships',
        'find groups',
        'find users',
        'insert audit_events',
        'update groups',
      ].sort(),
    );
  });
});
