import { textValue } from '../../attributes/text-value';
import type { GroupDoc, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { ScimDeps } from './scim-deps';
import type { ScimContext } from './context';
import { runListQuery, type ListPage, type ListParams } from './list-query';
import { locationOf, toRepresentation } from './representation';
import type { GroupsService } from './groups-service';
import { Batcher, perTenant } from '../../domain/batcher';

export type Selection = { attributes?: string[]; excludedAttributes?: string[] };

/**
 * Read side of SCIM: lists and the representations clients receive, with `attributes` /
 * `excludedAttributes` applied, and derived attributes (User.groups, Group.members) loaded only
 * when the selection includes them — one batched query per page, never per resource.
 */
export class ScimQueries {
  /**
   * The IdPs' lookup by userName (Okta's before every create): concurrent lookups go together, one
   * `$in` read per tenant per flush, none started before its request asked (Batcher). userName is
   * unique within a tenant (the `tenantId, lc.userName` unique index), so each finds one user or none.
   */
  private readonly byUserName: Batcher<{ tenantId: string; userName: string }, UserDoc | null>;

  constructor(
    private readonly deps: ScimDeps,
    private readonly groups: GroupsService,
  ) {
    const store = repositoriesOf(deps.models).users.scim;
    this.byUserName = new Batcher(
      perTenant(async (tenantId, keys: { tenantId: string; userName: string }[]) => {
        const names = [...new Set(keys.map((k) => k.userName))];
        const docs = await store.findByFilter(tenantId, { 'lc.userName': names.length === 1 ? names[0] : { $in: names } }, { sort: { _id: 1 }, skip: 0, limit: names.length });
        const byName = new Map(docs.map((d) => [d.lc.userName, d]));
        return keys.map((k) => byName.get(k.userName) ?? null);
      }),
    );
  }

  async listUsers(ctx: ScimContext, params: ListParams): Promise<{ page: ListPage<UserDoc>; resources: Record<string, unknown>[] }> {
    const { registry, models, limits } = this.deps;
    const page = await runListQuery<UserDoc>({
      store: repositoriesOf(models).users.scim,
      view: registry.view('User'),
      tenantId: ctx.tenantId,
      params,
      defaultPageSize: limits.defaultPageSize,
      maxPageSize: limits.maxPageSize,
      toScim: (doc) => toRepresentation(registry, 'User', doc, ctx.baseUrl),
      uniqueLookup: { path: 'lc.userName', find: (tenantId, userName) => this.byUserName.one({ tenantId, userName }) },
    });
    return { page, resources: await this.users(ctx, page.docs, params) };
  }

  async listGroups(ctx: ScimContext, params: ListParams): Promise<{ page: ListPage<GroupDoc>; resources: Record<string, unknown>[] }> {
    const { registry, models, limits } = this.deps;
    const page = await runListQuery<GroupDoc>({
      store: repositoriesOf(models).groups.scimEdge,
      view: registry.view('Group'),
      tenantId: ctx.tenantId,
      params,
      defaultPageSize: limits.defaultPageSize,
      maxPageSize: limits.maxPageSize,
      toScim: (doc) => toRepresentation(registry, 'Group', doc, ctx.baseUrl),
    });
    return { page, resources: await this.groupsOf(ctx, page.docs, params) };
  }

  /** `memberless`: the caller knows the user holds no membership (just created), so none is read. */
  async user(ctx: ScimContext, doc: UserDoc, sel: Selection, opts: { memberless?: boolean } = {}): Promise<Record<string, unknown>> {
    const [one] = await this.users(ctx, [doc], sel, opts);
    return one!;
  }

  async users(ctx: ScimContext, docs: UserDoc[], sel: Selection, opts: { memberless?: boolean } = {}): Promise<Record<string, unknown>[]> {
    const { registry, memberships, models } = this.deps;
    const withGroups = docs.length > 0 && !opts.memberless && registry.includes('User', 'groups', sel);
    let groupsOf = new Map<string, { value: string; $ref: string; display?: string; type: string }[]>();
    if (withGroups) {
      // As the IdP sees them: a held removal is shown done.
      const byUser = await memberships.groupIdsOfUsers(
        ctx.tenantId,
        docs.map((d) => d._id),
        { idpView: true },
      );
      const groupIds = [...new Set([...byUser.values()].flat())];
      // Only the IdP's own groups are visible over SCIM; internal groups stay internal.
      const groups = await repositoriesOf(models).groups.scimEdge.attributesOf(ctx.tenantId, groupIds, ['displayName']);
      const names = new Map(groups.map((g) => [g._id, textValue(g.attrs.displayName)]));
      groupsOf = new Map(
        [...byUser].map(([userId, ids]) => [
          userId,
          ids.filter((id) => names.has(id)).map((id) => ({ value: id, $ref: locationOf(ctx.baseUrl, 'Group', id), display: names.get(id), type: 'direct' })),
        ]),
      );
    }
    return docs.map((doc) => {
      const body = toRepresentation(registry, 'User', doc, ctx.baseUrl);
      const groups = groupsOf.get(doc._id);
      if (groups && groups.length > 0) body.groups = groups;
      return registry.project('User', body, sel);
    });
  }

  async group(ctx: ScimContext, doc: GroupDoc, sel: Selection): Promise<Record<string, unknown>> {
    const [one] = await this.groupsOf(ctx, [doc], sel);
    return one!;
  }

  private async groupsOf(ctx: ScimContext, docs: GroupDoc[], sel: Selection): Promise<Record<string, unknown>[]> {
    const { registry } = this.deps;
    const want = { members: registry.includes('Group', 'members', sel), memberDisplay: registry.includes('Group', 'members.display', sel) };
    const bodies = await this.groups.represent(ctx, docs, want);
    return bodies.map((body) => registry.project('Group', body, sel));
  }
}
