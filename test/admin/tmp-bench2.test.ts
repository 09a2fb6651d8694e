import { startTestStack } from '../helpers/stack';
import { runAuthorizeBenchmark } from '../../bench/authorize';

it('bench-probe', async () => {
  const s = await startTestStack();
  const m = s.runtime.deps.models;
  await runAuthorizeBenchmark({ models: m, groups: 500, roles: 20, users: 100, durationSeconds: 0.1, concurrency: 1, maxOps: 5, progress: () => undefined });
  const t = (await m.Tenant.collection.find({}).toArray()).map((x: any) => x._id);
  const tenantId = t[t.length - 1];
  const u: any = await m.Membership.collection.findOne({ tenantId } as never);
  const time = async (label: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await fn();
    console.log(label, ((performance.now() - t0) / 5).toFixed(2), 'ms');
  };
  await time('user _id', () => m.User.collection.findOne({ _id: u.userId, tenantId } as never, { projection: { 'attrs.active': 1, 'attrs.custom': 1 } }));
  await time('user _id only', () => m.User.collection.findOne({ _id: u.userId } as never));
  await time('memberships by user', () => m.Membership.collection.find({ tenantId, userId: u.userId } as never, { projection: { groupId: 1, role: 1 } }).toArray());
  await time('role assignments by user', () => m.RoleAssignment.collection.find({ tenantId, userId: u.userId } as never).toArray());
  await time('group _id', () => m.Group.collection.findOne({ _id: u.groupId, tenantId } as never, { projection: { parentId: 1, status: 1, system: 1, 'attrs.displayName': 1 } }));
  for (const c of ['users', 'groups', 'memberships', 'role_assignments', 'roles', 'tenants']) console.log(c, await m.Group.db.collection(c).countDocuments({}));
  await time('group _id only', () => m.Group.collection.findOne({ _id: u.groupId } as never));
  await time('group _id find', () => m.Group.collection.find({ _id: u.groupId } as never).toArray());
  await time('role _id only', async () => m.Role.collection.findOne({ _id: 'rol_x' } as never));
  await time('membership _id only', async () => m.Membership.collection.findOne({ _id: u._id } as never));
  await time('group _id noproj', () => m.Group.collection.findOne({ _id: u.groupId, tenantId } as never));
  await time('groups $in 20', async () => {
    const ids = (await m.Group.collection.find({ tenantId } as never).limit(20).toArray()).map((d: any) => d._id);
    return m.Group.collection.find({ _id: { $in: ids }, tenantId } as never).toArray();
  });
  await time('role assignment by groupId', () => m.RoleAssignment.collection.find({ tenantId, groupId: u.groupId } as never).toArray());
  await time('role assignment by groupId $in', () => m.RoleAssignment.collection.find({ tenantId, groupId: { $in: [u.groupId, 'x', 'y'] } } as never).toArray());
  await time('grants by groupId $in', () => m.ResourceGrant.collection.find({ tenantId, groupId: { $in: [u.groupId, 'x', 'y'] } } as never).toArray());
  await time('system groups', () => m.Group.collection.find({ tenantId, origin: 'internal', system: { $exists: true } } as never, { projection: { system: 1 } }).toArray());
  await time('tenant', () => m.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { accessVersion: 1 } }));
  await s.close();
}, 600000);
