import { escapeRegex } from '../expressions/compile-mongo';
import { conjunction } from './conjunction';
import type { Models, UserDoc } from './models';
import { ResourceStore, type DocumentStream, type ScopeComplement } from './resource-store';
import { EARLIEST_DATE } from './sync-marks';

/** What the domain reads of a user: its attributes and their lower-cased shadows (projection `attrs, lc`). */
export type UserProfile = Pick<UserDoc, '_id' | 'attrs' | 'lc'>;

const PROFILE = { attrs: 1, lc: 1 } as const;

/** Internal users or customers: the custom extension's `audience` (stored at attrs.custom.audience; missing means internal). */
export type UserAudience = 'user' | 'customer';

/**
 * Which users a query is about; every field given narrows (AND). The domain says what it wants in
 * these terms and this repository alone knows how the attributes are stored and indexed.
 */
export interface UserCriteria {
  ids?: readonly string[];
  /** Users of this audience (ignoring case, as canonical values are not normalised on write). */
  audience?: UserAudience;
  /** Leave out deactivated users (`active: false`). */
  activeOnly?: boolean;
  /** Users of this workspace, ignoring case and surrounding blanks; null = users of no workspace. */
  workspace?: string | null;
  /** Users holding one of these lower-cased e-mail addresses (the `lc.emails` shadow). */
  emailsAnyOf?: readonly string[];
  /** userName, an e-mail address or the display name starts with this (ignoring case). */
  prefix?: string;
  /** Users holding every one of these search terms (lower-cased words, see attributes/search-terms.ts). */
  terms?: readonly string[];
  /** Ids after this one (exclusive): a page's continuation. */
  after?: string;
  /** At least one of these must hold as well. */
  anyOf?: readonly UserCriteria[];
}

function audienceCondition(audience: UserAudience): Record<string, unknown> {
  return audience === 'customer' ? { 'attrs.custom.audience': /^customer$/i } : { 'attrs.custom.audience': { $not: /^customer$/i } };
}

function workspaceCondition(workspace: string | null): Record<string, unknown> {
  if (workspace === null) return { 'attrs.custom.workspace': { $not: /\S/ } };
  return { 'attrs.custom.workspace': new RegExp(`^\\s*${escapeRegex(workspace)}\\s*$`, 'i') };
}

/** The MongoDB filter of `criteria` (without the tenant), flat where no field repeats (see conjunction). */
export function userCriteriaFilter(criteria: UserCriteria): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  if (criteria.ids) parts.push({ _id: { $in: [...criteria.ids] } });
  if (criteria.audience) parts.push(audienceCondition(criteria.audience));
  if (criteria.activeOnly) parts.push({ 'attrs.active': { $ne: false } });
  if (criteria.workspace !== undefined) parts.push(workspaceCondition(criteria.workspace));
  if (criteria.emailsAnyOf) parts.push({ 'lc.emails': { $in: [...criteria.emailsAnyOf] } });
  if (criteria.prefix !== undefined) {
    const prefix = new RegExp(`^${escapeRegex(criteria.prefix.toLowerCase())}`);
    parts.push({ $or: [{ 'lc.userName': prefix }, { 'lc.emails': prefix }, { 'lc.displayName': prefix }] });
  }
  if (criteria.terms && criteria.terms.length > 0) {
    // The first term at the top level (the index bound, on the embedded server too), the others filtered.
    const [first, ...rest] = criteria.terms;
    parts.push(rest.length ? { 'lc.terms': first, $and: rest.map((t) => ({ 'lc.terms': t })) } : { 'lc.terms': first });
  }
  if (criteria.after !== undefined) parts.push({ _id: { $gt: criteria.after } });
  if (criteria.anyOf) parts.push({ $or: criteria.anyOf.map(userCriteriaFilter) });
  return conjunction(...parts);
}

/** Which fields each streamed user carries. */
export type StreamedFields =
  /** `_id` only. */
  | 'id'
  /** `_id`, userName, displayName and the custom extension's audience. */
  | 'names'
  /** Everything but the lower-cased lookup shadows (what a rule predicate may read), and a password hash stored before SCIM passwords were ignored. */
  | 'attributes';

const STREAMED_PROJECTIONS: Record<StreamedFields, Record<string, 0 | 1>> = {
  id: { _id: 1 },
  names: { _id: 1, 'attrs.userName': 1, 'attrs.displayName': 1, 'attrs.custom.audience': 1 },
  attributes: { passwordHash: 0, lc: 0 },
};

/** A streamed user: the fields its StreamedFields did not ask for are absent. */
export type StreamedUser = Pick<UserDoc, '_id' | 'attrs' | 'createdAt' | 'updatedAt'>;

/** Users read in batches from an open cursor: iterate it, and close it when leaving early. */
export type UserStream = DocumentStream<StreamedUser>;

/** The users SCIM shows: not those whose deletion the breaker holds, nor those an IdP's DELETE is removing. */
const SCIM_VISIBLE = { 'hold.deleted': { $ne: true }, scimDeletedAt: { $exists: false } };

/**
 * The users SCIM_VISIBLE leaves out, found by two date ranges on indexes: every held user (a held
 * deletion is a hold, which always has `since`) and every user being deleted (`scimDeletedAt`).
 * Both are few: deletions in progress, and the holds of a tripped breaker. Keep in step with
 * SCIM_VISIBLE (test/persistence/scope-count.test.ts checks them together).
 */
const SCIM_HIDDEN: ScopeComplement = {
  candidates: [{ 'hold.since': { $gte: EARLIEST_DATE } }, { scimDeletedAt: { $gte: EARLIEST_DATE } }],
  projection: { 'hold.deleted': 1, scimDeletedAt: 1 },
  outside: (doc) => (doc.hold as { deleted?: unknown } | undefined)?.deleted === true || doc.scimDeletedAt !== undefined,
};

/**
 * SCIM users (indexes: `_id`; `tenantId, lc.userName` unique; `tenantId, attrs.externalId, _id`;
 * `tenantId, lc.emails, _id`; `tenantId, lc.terms, _id`; `tenantId, _id`; `pendingAudit.at`; `sync.pendingSince`). The
 * versioned writes are ResourceStore's.
 */
export class UsersRepository extends ResourceStore<UserDoc> {
  /** The users SCIM shows: not those whose deletion the deprovisioning breaker holds (they answer 404). */
  readonly scim: ResourceStore<UserDoc>;

  constructor(private readonly models: Models) {
    super(models.User);
    this.scim = new ResourceStore(models.User, SCIM_VISIBLE, SCIM_HIDDEN);
  }

  /** How many of the tenant's users had a deprovision applied since `since` (the breaker's window). */
  /** A page of the tenant's users in id order, for the one-time search-terms backfill (index tenantId, _id). */
  async pageForSearchTerms(tenantId: string, afterId: string | undefined, limit: number): Promise<Pick<UserDoc, '_id' | 'attrs' | 'lc' | 'version'>[]> {
    return (await this.collection
      .find({ tenantId, ...(afterId !== undefined ? { _id: { $gt: afterId } } : {}) } as never, { projection: { attrs: 1, lc: 1, version: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray()) as unknown as Pick<UserDoc, '_id' | 'attrs' | 'lc' | 'version'>[];
  }

  /** Writes the search terms of a user still at `version` (a newer write computed its own): derived data, so no version bump. */
  async setSearchTermsIfVersion(tenantId: string, id: string, version: number, terms: string[]): Promise<boolean> {
    const r = await this.collection.updateOne({ _id: id, tenantId, version } as never, { $set: { 'lc.terms': terms } });
    return r.modifiedCount === 1;
  }

  async countDeprovisionedSince(tenantId: string, since: Date): Promise<number> {
    return this.collection.countDocuments({ tenantId, deprovisionedAt: { $gte: since } });
  }

  /** Users whose deprovision was applied since `since` and is not held: what a tripping breaker puts on hold. */
  async deprovisionedSince(tenantId: string, since: Date): Promise<UserDoc[]> {
    return (await this.collection.find({ tenantId, deprovisionedAt: { $gte: since } } as never).toArray()) as unknown as UserDoc[];
  }

  /** How many of the tenant's users are active (the breaker's percentage is of these). */
  async countActive(tenantId: string): Promise<number> {
    return this.countMatching(tenantId, { activeOnly: true });
  }

  /** Users with held (or rejected) deprovisions, oldest hold first. */
  async withHolds(tenantId: string, opts: { state?: 'held' | 'rejected'; ids?: readonly string[]; limit?: number } = {}): Promise<UserDoc[]> {
    const filter: Record<string, unknown> = { tenantId, 'hold.since': { $exists: true } };
    if (opts.state) filter['hold.state'] = opts.state;
    if (opts.ids) filter._id = { $in: [...opts.ids] };
    return (await this.collection
      .find(filter as never)
      .sort({ 'hold.since': 1 })
      .limit(opts.limit ?? 10_000)
      .toArray()) as unknown as UserDoc[];
  }

  /** How many users have a deprovision waiting for an admin (state held). */
  async countHeld(tenantId: string): Promise<number> {
    return this.collection.countDocuments({ tenantId, 'hold.since': { $exists: true }, 'hold.state': 'held' });
  }

  /** Inactive users (no hold) inactive since before `cutoff`: what the lifecycle's purge deletes. */
  async inactiveBefore(tenantId: string, cutoff: Date, limit: number): Promise<Pick<UserDoc, '_id'>[]> {
    return (await this.collection
      .find({ tenantId, inactiveSince: { $lt: cutoff }, hold: { $exists: false } } as never, { projection: { _id: 1 } })
      .limit(limit)
      .toArray()) as unknown as Pick<UserDoc, '_id'>[];
  }

  /** Users of any tenant whose deferred deletion (scimDeletedAt) is older than `cutoff` (the sweeper; index `scimDeletedAt`). */
  async deferredDeletionsBefore(cutoff: Date, limit: number): Promise<UserDoc[]> {
    return (await this.collection
      .find({ scimDeletedAt: { $lt: cutoff } } as never)
      .limit(limit)
      .toArray()) as unknown as UserDoc[];
  }

  /**
   * The users the admin API created (linked or not) whose userName is one of `userNamesLower` or
   * who hold one of `emailsLower`: what several concurrent SCIM creates check, in two reads.
   */
  async findAdminCreatedAmong(tenantId: string, userNamesLower: readonly string[], emailsLower: readonly string[]): Promise<UserDoc[]> {
    const among = (values: readonly string[]) => (values.length === 1 ? values[0] : { $in: [...values] });
    const [byName, byEmail] = (await Promise.all([
      userNamesLower.length === 0 ? [] : this.collection.find({ tenantId, 'lc.userName': among(userNamesLower), createdVia: { $exists: true } } as never).toArray(),
      emailsLower.length === 0 ? [] : this.collection.find({ tenantId, 'lc.emails': among(emailsLower), createdVia: { $exists: true } } as never).toArray(),
    ])) as [UserDoc[], UserDoc[]];
    const seen = new Set(byName.map((u) => u._id));
    return [...byName, ...byEmail.filter((u) => !seen.has(u._id))];
  }

  /** Marks (or unmarks) how the user came to be; null when there is no such user. */
  async setCreatedVia(tenantId: string, id: string, value: UserDoc['createdVia'] | null): Promise<UserDoc | null> {
    const update = value === null ? { $unset: { createdVia: '' } } : { $set: { createdVia: value } };
    return (await this.collection.findOneAndUpdate({ _id: id, tenantId } as never, update, { returnDocument: 'after' })) as UserDoc | null;
  }

  private get collection() {
    return this.models.User.collection;
  }

  /** The filter of `criteria` within the tenant. */
  private filterOf(tenantId: string, criteria: UserCriteria): Record<string, unknown> {
    return conjunction({ tenantId }, userCriteriaFilter(criteria));
  }

  /** The user as a rule evaluation reads it (attributes, sync mark, timestamps), or null. */
  /** What a rule evaluation reads of these users, in one read (a user that does not exist is absent). */
  async findManyForEvaluation(tenantId: string, userIds: readonly string[]): Promise<Pick<UserDoc, '_id' | 'attrs' | 'sync' | 'createdAt' | 'updatedAt'>[]> {
    return (await this.collection
      .find({ _id: userIds.length === 1 ? userIds[0] : { $in: [...userIds] }, tenantId } as never, { projection: { attrs: 1, sync: 1, createdAt: 1, updatedAt: 1 } })
      .toArray()) as unknown as Pick<UserDoc, '_id' | 'attrs' | 'sync' | 'createdAt' | 'updatedAt'>[];
  }

  /**
   * The user's `active` flag and custom extension only (what effective permissions depend on), or
   * null; null too for a user whose IdP deletion is deferred (scimDeletedAt): deleted to everyone.
   */
  async findActiveAndCustom(tenantId: string, userId: string): Promise<Pick<UserDoc, '_id' | 'attrs'> | null> {
    return (await this.collection.findOne({ _id: userId, tenantId, scimDeletedAt: { $exists: false } } as never, { projection: { 'attrs.active': 1, 'attrs.custom': 1 } })) as Pick<
      UserDoc,
      '_id' | 'attrs'
    > | null;
  }

  /** findActiveAndCustom for several users in one read (by `_id`): those found, by id. */
  async findActiveAndCustomMany(tenantId: string, userIds: readonly string[]): Promise<Map<string, Pick<UserDoc, '_id' | 'attrs'>>> {
    const docs = (await this.collection
      .find({ _id: { $in: [...userIds] }, tenantId, scimDeletedAt: { $exists: false } } as never, { projection: { 'attrs.active': 1, 'attrs.custom': 1 } })
      .toArray()) as unknown as Pick<UserDoc, '_id' | 'attrs'>[];
    return new Map(docs.map((d) => [d._id, d]));
  }

  /**
   * Streams, in `_id` order and `batchSize` at a time, the users a rule's compiled query selects
   * (a filter from the expression core, already within the tenant) that also meet `criteria`.
   * Close the stream when leaving it early.
   */
  streamRuleMatches(tenantId: string, ruleQuery: Readonly<Record<string, unknown>>, criteria: UserCriteria, fields: StreamedFields, batchSize: number): UserStream {
    // The tenant is set again (same key, same place) so this never reads across tenants, and the
    // query stays flat where it can: the embedded server picks an index from top-level fields only.
    const filter = conjunction({ ...ruleQuery, tenantId }, userCriteriaFilter(criteria));
    return this.collection
      .find(filter as never, { projection: STREAMED_PROJECTIONS[fields] })
      .sort({ _id: 1 })
      .batchSize(batchSize) as unknown as UserStream;
  }

  /** The user's attributes and shadows, or null. */
  async findProfile(tenantId: string, userId: string): Promise<UserProfile | null> {
    return (await this.collection.findOne({ _id: userId, tenantId } as never, { projection: PROFILE })) as UserProfile | null;
  }

  /** One user (any, unordered) holding this lower-cased e-mail address, or null. */
  async findProfileByEmail(tenantId: string, emailLower: string): Promise<UserProfile | null> {
    return (await this.collection.findOne({ tenantId, 'lc.emails': emailLower } as never, { projection: PROFILE })) as UserProfile | null;
  }

  /** Every user matching `criteria`, unordered. */
  async profilesMatching(tenantId: string, criteria: UserCriteria): Promise<UserProfile[]> {
    return (await this.collection.find(this.filterOf(tenantId, criteria) as never, { projection: PROFILE }).toArray()) as unknown as UserProfile[];
  }

  /** Up to `limit` users matching `criteria`, in id order (continue with `criteria.after`). */
  async pageMatching(tenantId: string, criteria: UserCriteria, limit: number): Promise<UserProfile[]> {
    return (await this.collection
      .find(this.filterOf(tenantId, criteria) as never, { projection: PROFILE })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray()) as unknown as UserProfile[];
  }

  /** How many users match `criteria`. */
  async countMatching(tenantId: string, criteria: UserCriteria): Promise<number> {
    return this.collection.countDocuments(this.filterOf(tenantId, criteria));
  }
}
