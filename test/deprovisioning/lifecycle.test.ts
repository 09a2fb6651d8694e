import { signAdminToken } from '../../src/auth/admin-jwt';
import type { AuditEventDoc } from '../../src/persistence/models';
import { runLifecycle } from '../../src/domain/deprovisioning/lifecycle';
import { PATCH_OP, replaceOp, startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { fixture } from '../scim/http/helpers';

/** Issue 20's user lifecycle: reactivation restores identity and access; DELETE after soft delete; purge; revocation. */
let s: SyncStack;
let seq = 0;
beforeAll(async () => {
  s = await startSyncStack();
});
afterAll(() => s.close());

const recovery = () => ({ models: s.runtime.deps.models, memberships: s.runtime.deps.memberships, enqueuer: s.runtime.deps.producer });
async function audits(action: string, id: string): Promise<AuditEventDoc[]> {
  return (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, action, 'object.id': id } as never).toArray()) as unknown as AuditEventDoc[];
}

describe('deactivate, then reactivate', () => {
  it('when a user is deactivated and reactivated, then it keeps its id and its memberships from a rule, a mapping, an IdP push and a manual grant all come back', async () => {
    const ruled = await s.internalGroup('Ruled team');
    const mapped = await s.internalGroup('Mapped team');
    const granted = await s.internalGroup('Granted team');
    const rule = (await s.createRule({ name: 'Designers', expression: 'department = "Design"', targetGroupId: ruled })).id;
    const id = await s.user(`dana-${++seq}`, { department: 'Design' });
    const idp = await s.idpGroup('Okta Designers', [id]);
    const mapping = await s.admin.post('/mappings', { idpGroup: 'Okta Designers', targetGroupId: mapped });
    expect(mapping.status).toBe(201);
    expect((await s.admin.post(`/groups/${granted}/members`, { userId: id })).status).toBe(201);
    await s.settle();
    const sourcesOf = async () => ({
      ruled: (await s.membersOf(ruled)).get(id),
      mapped: (await s.membersOf(mapped)).get(id),
      idp: (await s.membersOf(idp)).get(id),
      granted: (await s.membersOf(granted)).get(id),
    });
    const before = await sourcesOf();
    expect(before).toEqual({ ruled: [`rule:${rule}`], mapped: [expect.stringMatching(/^rule:/)], idp: ['scim'], granted: ['manual'] });

    expect((await s.scim.patch(`/Users/${id}`, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);
    await s.settle();
    const inactive = await sourcesOf();
    expect(inactive.ruled).toBeUndefined();
    expect(inactive.mapped).toBeUndefined();

    await s.patchUser(id, replaceOp('active', true));
    await s.settle();
    const back = await s.scim.get(`/Users/${id}`);
    expect(back.body).toMatchObject({ id, userName: `dana-${seq}`, active: true });
    expect(await sourcesOf()).toEqual(before);
  });

  it("when a user is deactivated, then its admin-API tokens stop at once and the vendor's change feed says user.deactivated", async () => {
    const id = await s.user(`tess-${++seq}`);
    const bearer = `Bearer ${signAdminToken(s.config.adminJwt, { sub: id, tenant: s.tenantId, role: 'admin' })}`;
    expect((await s.http.get('/admin/v1/groups').set('Authorization', bearer)).status).toBe(200);
    await s.patchUser(id, replaceOp('active', false));
    const refused = await s.http.get('/admin/v1/groups').set('Authorization', bearer);
    expect([refused.status, refused.body.error?.code]).toEqual([403, 'USER_DEACTIVATED']);
    await s.settle();
    const feed = await s.admin.get('/events?types=user.deactivated&limit=100');
    expect(feed.status).toBe(200);
    expect(feed.body.items.map((e: { object: { id: string } }) => e.object.id)).toContain(id);
  });
});

describe('Entra: soft delete (PATCH "False"), then DELETE', () => {
  it('when Entra deletes a user it deactivated, then SCIM answers 404 at once, a second DELETE is 404 too, and the deletion is finished once, audited once, after the breaker window', async () => {
    const id = await s.user(`erin-${++seq}`);
    const team = await s.internalGroup('Erin team');
    expect((await s.admin.post(`/groups/${team}/members`, { userId: id })).status).toBe(201);
    expect((await s.scim.patch(`/Users/${id}`, fixture('entra/patch-user-disable.json'))).status).toBe(200);
    expect((await s.scim.delete(`/Users/${id}`)).status).toBe(204);
    expect((await s.scim.get(`/Users/${id}`)).status).toBe(404);
    expect((await s.scim.delete(`/Users/${id}`)).status).toBe(404);
    // Within the window: kept (a breaker tripping now would restore it).
    expect(await runLifecycle(recovery())).toBe(0);
    expect((await s.membersOf(team)).has(id)).toBe(true);
    const later = new Date(Date.now() + 61 * 60_000);
    expect(await runLifecycle(recovery(), later)).toBeGreaterThanOrEqual(1);
    expect(await runLifecycle(recovery(), later)).toBe(0);
    await s.settle();
    expect((await s.membersOf(team)).has(id)).toBe(false);
    expect(await audits('user.deleted', id)).toHaveLength(1);
  });
});

describe('lifecycle policy', () => {
  it('when inactive users are kept (the default), then nothing is purged; with purge after 30 days, a user inactive longer is deleted and an active one is not', async () => {
    const gone = await s.user(`old-${++seq}`);
    const stays = await s.user(`active-${++seq}`);
    await s.patchUser(gone, replaceOp('active', false));
    const in40Days = new Date(Date.now() + 40 * 86_400_000);
    await runLifecycle(recovery(), in40Days);
    expect((await s.scim.get(`/Users/${gone}`)).status).toBe(200);
    expect((await s.admin.patch('/deprovisioning/settings', { lifecycle: { inactiveUsers: 'purge', purgeAfterDays: 30 } })).status).toBe(200);
    expect(await runLifecycle(recovery(), new Date(Date.now() + 20 * 86_400_000))).toBe(0);
    await runLifecycle(recovery(), in40Days);
    expect((await s.scim.get(`/Users/${gone}`)).status).toBe(404);
    expect((await s.scim.get(`/Users/${stays}`)).status).toBe(200);
    expect(await audits('user.deleted', gone)).toHaveLength(1);
    expect((await s.admin.patch('/deprovisioning/settings', { lifecycle: { inactiveUsers: 'keep' } })).status).toBe(200);
    void PATCH_OP;
  });
});
