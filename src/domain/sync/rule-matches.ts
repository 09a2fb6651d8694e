import { repositoriesOf } from '../../persistence/repositories';
import type { StreamedFields, StreamedUser } from '../../persistence/users-repository';
import { loadIdpGroupIds, resolveRuleGroups, ruleMongoQuery, rulePredicate, type CompiledRule } from '../rules';
import { subjectOf } from './rule-set';
import { audienceOf, type Audience } from '../groups/user-identity';
import type { SyncDeps } from './sync-deps';

export interface MatchedUser {
  _id: string;
  userName?: string;
  displayName?: string;
  /** With `withNames`: the user's audience (a preview tells who the target's audience leaves out). */
  audience?: Audience;
}

/** One slice of the walk: every user with `_id` in (previous rangeEnd, rangeEnd] was looked at. */
export interface MatchChunk {
  rangeEnd: string;
  matched: MatchedUser[];
}

export interface WalkOptions {
  /** Resume after this user id (exclusive). */
  after?: string;
  chunkSize: number;
  /** Include userName, displayName and audience of matches (previews show a sample). */
  withNames?: boolean;
  /** Only users of this audience: a rule gives membership only to users of its target's audience. */
  audience?: Audience;
}

/**
 * Streams the tenant's users matching a compiled rule, in `_id` order and in chunks, with the
 * compiled MongoDB query (DESIGN §6: stream ids from a query, never load every user). When the
 * query only narrows (`exact: false`), the chunk's documents are finished with the in-memory
 * predicate. Deactivated users never match: rules give nothing to them.
 */
export async function* walkRuleMatches(deps: SyncDeps, tenantId: string, compiled: CompiledRule, opts: WalkOptions): AsyncGenerator<MatchChunk> {
  const groups = compiled.usesGroups ? await resolveRuleGroups(deps.models, tenantId, compiled, { members: true }) : undefined;
  const { query, exact } = ruleMongoQuery(compiled, { tenantId, groups });
  const predicate = exact ? undefined : rulePredicate(compiled, { tenantId, groups });
  const fields: StreamedFields = !exact ? 'attributes' : opts.withNames ? 'names' : 'id';
  const users = repositoriesOf(deps.models).users.streamRuleMatches(tenantId, query, { activeOnly: true, audience: opts.audience, after: opts.after }, fields, opts.chunkSize);
  let batch: StreamedUser[] = [];
  const finish = async (docs: StreamedUser[]): Promise<MatchChunk> => {
    let kept = docs;
    if (predicate) {
      const idp = compiled.usesGroups
        ? await loadIdpGroupIds(
            deps.models,
            tenantId,
            docs.map((d) => d._id),
          )
        : undefined;
      kept = docs.filter((d) => predicate(subjectOf(deps.registry, d, idp?.get(d._id) ?? new Set())));
    }
    return {
      rangeEnd: (docs[docs.length - 1] as StreamedUser)._id,
      matched: kept.map((d) => (opts.withNames ? { _id: d._id, userName: str(d.attrs?.userName), displayName: str(d.attrs?.displayName), audience: audienceOf(d) } : { _id: d._id })),
    };
  };
  try {
    for await (const user of users) {
      batch.push(user);
      if (batch.length >= opts.chunkSize) {
        const docs = batch;
        batch = [];
        yield await finish(docs);
      }
    }
    if (batch.length > 0) yield await finish(batch);
  } finally {
    await users.close().catch(() => undefined);
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The ids of the users holding `source` in a group, sorted as the walk visits users (`_id` order). */
export async function holdersOf(deps: SyncDeps, tenantId: string, groupId: string, source: string): Promise<string[]> {
  const ids = await deps.memberships.userIdsOf(tenantId, groupId, source);
  return ids.sort(compareIds);
}

/** Binary order of ASCII ids, as MongoDB sorts strings. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
