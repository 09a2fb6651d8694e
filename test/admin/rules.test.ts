import type { AuditEventDoc } from '../../src/persistence/models';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';

describe('/admin/v1/rules', () => {
  let s: SyncStack;
  let sales: string;
  const users: Record<string, string> = {};

  beforeAll(async () => {
    s = await startSyncStack();
    sales = await s.internalGroup('Sales team');
    users.ann = await s.user('ann', { department: 'Sales', country: 'US' });
    users.bob = await s.user('bob', { department: 'Sales', country: 'CA' });
    users.cid = await s.user('cid', { department: 'Legal', country: 'US' });
    users.dee = await s.user('dee', { department: 'Sales', active: false });
    await s.settle();
  });
  afterAll(() => s.close());

  describe('CRUD', () => {
    it('POST creates a rule (201) that GET lists and reads, with its sync state', async () => {
      const res = await s.admin.post('/rules', { name: 'US sales', expression: 'department = "Sales" AND country = "US"', targetGroupId: sales, priority: 10 });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ id: expect.stringMatching(/^rul_/), kind: 'rule', name: 'US sales', targetGroupId: sales, enabled: true, priority: 10, version: 1, sync: { pending: true } });
      const list = await s.admin.get('/rules');
      expect(list.status).toBe(200);
      expect(list.body.items.map((r: { id: string }) => r.id)).toContain(res.body.id);
      await s.settle();
      const read = await s.admin.get(`/rules/${res.body.id}`);
      expect(read.body).toMatchObject({ sync: { pending: false }, lastRun: { outcome: 'completed', matched: 1, added: 1 } });
    });

    it('PATCH changes the given fields only and bumps the version; DELETE answers 204, then 404', async () => {
      const { id } = await s.createRule({ name: 'Legal', expression: 'department eq "Legal"', targetGroupId: sales });
      await s.settle();
      const patched = await s.admin.patch(`/rules/${id}`, { name: 'Legal team', enabled: false });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: 'Legal team', enabled: false, expression: 'department eq "Legal"', version: 2 });
      await s.settle();
      const unchanged = await s.admin.patch(`/rules/${id}`, { name: 'Legal team' });
      expect(unchanged.body.version).toBe(2);
      expect((await s.admin.delete(`/rules/${id}`)).status).toBe(204);
      expect((await s.admin.get(`/rules/${id}`)).status).toBe(404);
      expect((await s.admin.delete(`/rules/${id}`)).status).toBe(404);
    });

    it('every change is audited with the admin as actor', async () => {
      const { id } = await s.createRule({ name: 'Audited', expression: 'department eq "Legal"', targetGroupId: sales });
      await s.admin.patch(`/rules/${id}`, { expression: 'department eq "Sales"' });
      // Oldest first (an unsorted find has no order: an index serves it in its own).
      const events = (await s.runtime.deps.models.AuditEvent.collection
        .find({ tenantId: s.tenantId, 'object.id': id } as never)
        .sort({ at: 1 })
        .toArray()) as unknown as AuditEventDoc[];
      expect(events.map((e) => [e.action, e.actor])).toEqual([
        ['rule.created', { type: 'admin', id: 'usr_operator' }],
        ['rule.updated', { type: 'admin', id: 'usr_operator' }],
      ]);
      expect(events[1]!.before).toMatchObject({ expression: 'department eq "Legal"' });
    });

    it('only tenant admins may manage rules (403 for others)', async () => {
      const res = await (await s.member()).get('/rules');
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    });

    it('a bad expression is refused with where and what', async () => {
      const res = await s.admin.post('/rules', { name: 'Typo', expression: 'deparment = "Sales"', targetGroupId: sales });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'RULE_UNKNOWN_ATTRIBUTE',
        message: 'unknown attribute "deparment" at 1:1 (did you mean "department"?)',
        details: { line: 1, column: 1 },
      });
    });

    it('a rule can only fill an existing internal, static, active group', async () => {
      const idp = await s.idpGroup('Okta Sales');
      const dynamic = await s.internalGroup('Dynamic', { kind: 'dynamic' });
      const archived = await s.internalGroup('Old', { status: 'archived' });
      const codeFor = async (targetGroupId: unknown) => (await s.admin.post('/rules', { name: 'x', expression: 'title pr', targetGroupId })).body.error.code;
      expect(await codeFor('grp_missing')).toBe('RULE_TARGET_NOT_FOUND');
      expect(await codeFor(idp)).toBe('RULE_TARGET_IDP_GROUP');
      expect(await codeFor(dynamic)).toBe('RULE_TARGET_DYNAMIC');
      expect(await codeFor(archived)).toBe('RULE_TARGET_ARCHIVED');
      expect(await codeFor(42)).toBe('RULE_INVALID_FIELD');
    });

    it('unknown fields in a PATCH are refused', async () => {
      const { id } = await s.createRule({ name: 'Fields', expression: 'title pr', targetGroupId: sales, enabled: false });
      const res = await s.admin.patch(`/rules/${id}`, { version: 7 });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'RULE_INVALID_FIELD', details: { field: 'version' } });
    });
  });

  describe('POST /rules/validate', () => {
    it('answers what a valid expression reads', async () => {
      const res = await s.admin.post('/rules/validate', { expression: 'department = "Sales" AND (country in "US","CA" OR title != "Intern")' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ valid: true, syntax: 'product', usesGroups: false });
      expect(res.body.attributes).toEqual(expect.arrayContaining(['title', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department']));
    });

    it('answers the error and its position for an invalid one', async () => {
      const res = await s.admin.post('/rules/validate', { expression: 'title eq "x" and (groups eq "Eng"' });
      expect(res.status).toBe(200);
      expect(res.body.valid).toBe(false);
      expect(res.body.error).toMatchObject({ code: 'RULE_SYNTAX', line: 1, column: expect.any(Number) });
    });
  });

  describe('POST /rules/preview', () => {
    it('a dry run reports matches, a sample and the adds, and changes nothing', async () => {
      const before = await s.runtime.deps.models.Membership.collection.countDocuments({ tenantId: s.tenantId });
      const rulesBefore = await s.runtime.deps.models.Rule.collection.countDocuments({ tenantId: s.tenantId });
      const target = await s.internalGroup('Preview target');
      await s.runtime.deps.memberships.addSource(s.tenantId, target, [users.bob!], 'manual');
      const res = await s.admin.post('/rules/preview', { expression: 'department eq "Sales"', targetGroupId: target });
      expect(res.status).toBe(200);
      // dee is deactivated: rules never give a deactivated user anything.
      expect(res.body).toMatchObject({ matched: 2, membership: { targetGroupId: target, adds: { count: 1 }, alreadyMembers: 1, removes: { count: 0 } } });
      expect(res.body.sample.map((u: { userName: string }) => u.userName).sort()).toEqual(['ann', 'bob']);
      expect(res.body.membership.adds.sample).toEqual([{ id: users.ann, userName: 'ann' }]);
      expect(await s.runtime.deps.models.Membership.collection.countDocuments({ tenantId: s.tenantId })).toBe(before + 1);
      expect(await s.runtime.deps.models.Rule.collection.countDocuments({ tenantId: s.tenantId })).toBe(rulesBefore);
    });

    it('against an existing rule, it reports who would lose the rule source', async () => {
      const target = await s.internalGroup('Preview of a change');
      const { id } = await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target });
      await s.settle();
      const res = await s.admin.post('/rules/preview', { expression: 'country eq "US"', ruleId: id });
      expect(res.status).toBe(200);
      expect(res.body.matched).toBe(2);
      // Both samples name the users (the removed one too, not only its id).
      expect(res.body.membership).toMatchObject({
        adds: { count: 1, sample: [{ id: users.cid, userName: 'cid' }] },
        removes: { count: 1, leavingGroup: 1, sample: [{ id: users.bob, userName: 'bob' }] },
      });
      expect(await s.holders(target, `rule:${id}`)).toEqual([users.ann, users.bob].sort());
    });

    it('warns of a value no user was ever given and suggests the nearest values seen for that attribute', async () => {
      await s.user('eve', { department: 'Engineering', country: 'DE' });
      const res = await s.admin.post('/rules/preview', { expression: 'department eq "Enginering" or country eq "US"' });
      expect(res.status).toBe(200);
      expect(res.body.matched).toBe(2);
      expect(res.body.warnings).toEqual([
        {
          code: 'VALUE_NEVER_SEEN',
          message: 'No user has department "Enginering". Values seen: "Engineering".',
          attribute: 'department',
          value: 'Enginering',
          suggestions: ['Engineering'],
        },
      ]);
      // A value some user has (whatever its case) is no warning; nor is a value under "not".
      const seen = await s.admin.post('/rules/preview', { expression: 'department eq "sales" and not (country eq "Atlantis")' });
      expect(seen.body.warnings).toEqual([]);
    });

    it('warns of an IdP group never pushed, suggesting the pushed ones, and of a rule matching no one', async () => {
      await s.idpGroup('Sales EMEA');
      const res = await s.admin.post('/rules/preview', { expression: 'groups eq "Sales EMA"' });
      expect(res.status).toBe(200);
      expect(res.body.warnings.map((w: { code: string }) => w.code)).toEqual(['IDP_GROUP_UNKNOWN', 'MATCHES_NO_ONE']);
      expect(res.body.warnings[0]).toMatchObject({ value: 'sales ema', suggestions: ['Sales EMEA'] });
      const pushed = await s.admin.post('/rules/preview', { expression: 'groups eq "sales emea"' });
      expect(pushed.body.warnings.map((w: { code: string }) => w.code)).toEqual(['MATCHES_NO_ONE']);
    });

    it('an invalid expression is a 400 with its position', async () => {
      const res = await s.admin.post('/rules/preview', { expression: 'title zz "x"' });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toMatchObject({ line: 1 });
    });
  });

  describe('/mappings (SSO attribute mapping)', () => {
    it('a mapping is a rule testing groups, listed under /mappings and /rules', async () => {
      const target = await s.internalGroup('Engineers');
      const res = await s.admin.post('/mappings', { idpGroup: 'Engineering "EU"', targetGroupId: target });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'mapping', idpGroup: 'Engineering "EU"', expression: 'groups eq "Engineering \\"EU\\""', targetGroupId: target });
      expect((await s.admin.get('/mappings')).body.items.map((m: { id: string }) => m.id)).toEqual([res.body.id]);
      expect((await s.admin.get('/rules')).body.items.map((m: { id: string }) => m.id)).toContain(res.body.id);
      expect((await s.admin.get('/rules?kind=rule')).body.items.map((m: { id: string }) => m.id)).not.toContain(res.body.id);
      await s.settle();
      expect((await s.admin.delete(`/mappings/${res.body.id}`)).status).toBe(204);
      expect((await s.admin.get('/mappings')).body.items).toEqual([]);
    });
  });
  describe('the audit log as troubleshooting reads it', () => {
    it('category=auto_assignment lists every membership change a rule made, and only those', async () => {
      const target = await s.internalGroup('Audited auto-assignment');
      const { id } = await s.createRule({ name: 'Legal auto-assigned', expression: 'department = "Legal"', targetGroupId: target });
      await s.settle();
      const res = await s.admin.get('/audit?category=auto_assignment&limit=500');
      expect(res.status).toBe(200);
      const items = res.body.items as { actor: { type: string; id: string }; action: string; object: { id: string }; after: { userId: string } }[];
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((e) => e.actor.type === 'rule')).toBe(true);
      expect(items).toContainEqual(
        expect.objectContaining({ actor: { type: 'rule', id }, action: 'membership.added', object: { type: 'Group', id: target }, after: expect.objectContaining({ userId: users.cid }) }),
      );
      expect((await s.admin.get('/audit?category=everything')).body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'category' } });
      expect((await s.admin.get('/audit?category=')).body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'category' } });
    });
  });
});
