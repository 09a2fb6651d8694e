import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Stored shapes. SCIM resources keep their attributes in `attrs` (see src/attributes/types.ts for
 * the convention) with lower-cased shadows in `lc`. Every resource write bumps `version` (the ETag)
 * and, in the same single-document update, marks `sync` pending: that mark is the durable outbox
 * record the worker acknowledges and the sweeper re-enqueues (DESIGN.md §5).
 */
export interface SyncMark {
  /** The resource version the pending work is for. */
  version: number;
  /** Set while work is pending; absent once the worker acknowledged `version`. */
  pendingSince?: Date;
  /** Parts of a group's member change done so far, as `version:part` (workers/processors/acknowledge-sync.ts). */
  doneParts?: string[];
  /** The job that failed for good on `version`'s work, kept in Redis for an operator's retry: the sweeper leaves the change to it while it exists. */
  failedJob?: { id: string; version: number };
}

export interface TenantDoc {
  _id: string;
  name: string;
  nameLower: string;
  /** Whether a sync job of the tenant failed for good and its change is still not synced (docs/events.md, directory.sync_failed). */
  syncHealth?: { failing: boolean; since: Date };
  createdAt: Date;
  updatedAt: Date;
  /** Deprovisioning safeguards and lifecycle (src/domain/deprovisioning; absent = the defaults). */
  deprovisioning?: DeprovisioningSettingsDoc;
  /** Set while the deprovisioning circuit breaker is tripped (cleared when no held change is left). */
  breakerTrippedAt?: Date;
  /** When the breaker last closed: its window starts afresh there (what was decided or applied before no longer counts). */
  breakerResetAt?: Date;
  /** Audit events of the breaker's trip or reset, written in the same update and pulled once in the log (the sweeper writes what a crash left). */
  pendingAudit?: AuditEventDoc[];
  /**
   * What the tenant has ever used of what a SCIM create must check against: a user the admin API
   * created (a create may collide with it), an invitation (a create may accept one). Set before the
   * first such user or invitation is stored, never cleared; absent (a tenant from before it was
   * kept) means both, so those creates check as before. Read with the tenant's settings.
   */
  uses?: TenantUses;
  /** Every user of the tenant has search terms of this version (src/domain/people/search-terms-backfill.ts). */
  searchTermsVersion?: number;
  /** A process bringing the tenant's users to that version (lazily, on the first search or dry run): until when it holds the work, and how far it got. */
  searchTermsClaim?: { by: string; until: Date; after?: string };
}

export interface TenantUses {
  adminCreatedUsers?: true;
  invitations?: true;
}

/** A tenant's deprovisioning settings as stored (every field optional: a missing one is the default). */
export interface DeprovisioningSettingsDoc {
  breaker?: { enabled?: boolean; windowMinutes?: number; users?: number; percentOfActive?: number };
  exemptUserIds?: string[];
  exemptGroupIds?: string[];
  lifecycle?: { inactiveUsers?: 'keep' | 'purge'; purgeAfterDays?: number };
  allowedEmailDomains?: string[];
}

export interface ScimTokenDoc {
  /** SHA-256 of the token (hex): the token itself is never stored, and the lookup is by _id. */
  _id: string;
  /** Public id ('tok_…'): the audit actor, and what revocation names. */
  tokenId: string;
  tenantId: string;
  /** First characters, to tell tokens apart in listings and logs. */
  hint: string;
  label?: string;
  createdAt: Date;
  revokedAt?: Date;
  /** Set when the token was rotated: the token that replaced it (a 401 with this one reads "rotated"). */
  replacedBy?: string;
  /** A token rotated with a grace period works until then (the IdP is given the new one meanwhile). */
  expiresAt?: Date;
  /** The newest request made with this token (src/auth/scim-token-activity.ts): what the IdP last did and how it went. */
  lastRequest?: ScimRequestRecord;
}

/**
 * One value of one attribute that some user of the tenant was given (src/domain/people/seen-values.ts):
 * the "values seen" a dry run checks a rule's comparisons against. Never removed with the user.
 */
export interface AttributeValueDoc {
  _id: string;
  tenantId: string;
  /** The stored path (`enterprise.department`). */
  attr: string;
  /** Lower-cased value: the key. */
  lc: string;
  /** The value as first seen. */
  value: string;
  firstSeenAt: Date;
}

/** One SCIM request as the provisioning log keeps it (src/domain/provisioning-log.ts). */
export interface ProvisioningLogDoc {
  _id: string;
  tenantId: string;
  at: Date;
  /** The token used (tok_…); for a 401, the token the header carried, when it names one. */
  tokenId?: string;
  method: string;
  /** The path below /scim/v2, without the query. */
  path: string;
  /** Users, Groups, Bulk, … (the first segment of the path). */
  resource: string;
  /** The user or group the request touched (from the path, or the created resource). */
  objectId?: string;
  status: number;
  /** Why a request was refused before it reached a resource (401: no_bearer_prefix, double_bearer, revoked, rotated). */
  reason?: string;
  /** What the request asked to change, in short ("replace active", "add members ×3"). */
  change?: string;
  userAgent?: string;
  durationMs?: number;
}

export interface ScimRequestRecord {
  at: Date;
  method: string;
  /** Path under /scim/v2, without the query (filters may carry personal data). */
  path: string;
  status: number;
  userAgent?: string;
}

/** A one-time console sign-in link (src/auth/console-sessions.ts). */
export interface ConsoleLinkDoc {
  /** SHA-256 of the link's code: the code itself is never stored. */
  _id: string;
  tenantId: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set when the link is followed: a link signs in once. */
  usedAt?: Date;
  /** The console page the link opens (connect, rules, people, log, …); the start page when absent. */
  landing?: string;
}

/** A console sign-in session, named by an HttpOnly cookie (src/auth/console-sessions.ts). */
export interface ConsoleSessionDoc {
  /** SHA-256 of the cookie value. */
  _id: string;
  /** Public id ('csn_…'): the audit actor of what the session does. */
  sessionId: string;
  tenantId: string;
  /** Sent back by the page in X-CSRF-Token on unsafe methods. */
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  endedAt?: Date;
}

export interface UserDoc {
  _id: string;
  tenantId: string;
  attrs: Record<string, unknown>;
  lc: { userName: string; displayName?: string; emails?: string[]; terms?: string[] };
  version: number;
  sync: SyncMark;
  /** Audit events of committed changes not yet in the audit log (see domain/recovery/pending-audits.ts). */
  pendingAudit?: AuditEventDoc[];
  /**
   * Deprovisions the circuit breaker held (docs/deprovisioning.md): while present, `attrs.active`
   * stays true (access unchanged) and SCIM shows the IdP's state (inactive; not found when deleted).
   */
  hold?: UserHold;
  /** When the IdP's deactivation or deletion of this user was applied: the breaker's sliding window counts these. */
  deprovisionedAt?: Date;
  /** Who applied that deprovision, and in which request (kept with the change if a tripping breaker holds it afterwards). */
  deprovisionedBy?: { actor: AuditEventDoc['actor']; requestId?: string };
  /**
   * The IdP deleted the user while its deactivation was in the breaker's window: SCIM answers 404,
   * and the deletion is finished once the window has passed, unless the breaker trips first (then
   * it is held with the others).
   */
  scimDeletedAt?: Date;
  /** Since when the user is inactive (the lifecycle's purge counts from here). */
  inactiveSince?: Date;
  /** 'admin': provisioned through the admin API; an IdP's matching user is refused until an admin links them ('linked'). */
  createdVia?: 'admin' | 'linked';
  createdAt: Date;
  updatedAt: Date;
}

/** One deprovision the breaker held, with the request that caused it. */
export interface HeldChange {
  _id: string;
  kind: 'deactivate' | 'delete';
  at: Date;
  actor: AuditEventDoc['actor'];
  requestId?: string;
  /** Applied before the breaker tripped within its window, and put on hold when it tripped. */
  retroactive?: boolean;
}

export interface UserHold {
  /** 'held': waiting for an admin; 'rejected': an admin kept the user's access (the IdP's state stays shown). */
  state: 'held' | 'rejected';
  since: Date;
  /** The IdP deleted the user (SCIM answers 404 for it). */
  deleted?: boolean;
  changes: HeldChange[];
  decidedAt?: Date;
  decidedBy?: string;
}

export type GroupOrigin = 'scim' | 'internal';

export interface GroupDoc {
  _id: string;
  tenantId: string;
  /** 'scim' groups are the IdP's (visible over SCIM); 'internal' ones are the product's own. */
  origin: GroupOrigin;
  attrs: Record<string, unknown>;
  lc: { displayName: string };
  version: number;
  sync: SyncMark;
  /** Committed changes whose member writes and audit event are not done yet (domain/recovery/pending-group-changes.ts). */
  pendingMembers?: PendingGroupChange[];
  /** The last position handed to a change of the group's members (GroupsRepository.takePosition). */
  lastPosition?: number;
  /**
   * The IdP deleted this group while the deprovisioning breaker was tripped: SCIM answers 404 for it,
   * but it stays (with its members and grants) for access until an admin allows (it is deleted) or
   * rejects (kept, `rejected`). src/domain/deprovisioning/group-holds.ts.
   */
  heldDeletion?: HeldGroupDeletion;
  /** Audit events written in the same update as a group-level change (a held deletion, its rejection), pulled once in the log. */
  pendingAudit?: AuditEventDoc[];
  createdAt: Date;
  updatedAt: Date;
  [extra: string]: unknown;
}

/**
 * A committed group change (create, PATCH, PUT), pushed in the same update as the group's version
 * bump: the member delta still to apply and the audit event to write (its id is this entry's id).
 * Entries sit in commit order ($push appends). Pulled once the delta is applied and the event written.
 */
export interface PendingGroupChange {
  _id: string;
  at: Date;
  add: string[];
  remove: string[];
  /** PUT with `members`: the IdP's exact member list. */
  replaceAll?: string[];
  /**
   * The change's position, taken by its request before the commit (`lastPosition`): member writes
   * apply only over older positions. Absent on entries written before positions existed (0).
   */
  position?: number;
  audit: AuditEventDoc;
  /**
   * The deprovisioning breaker's decision, made before the change was committed and recorded with
   * it: the removals of these users are held (MembershipsRepository.holdSourceAt) rather than
   * applied, whoever finishes the change (its request or the sweeper).
   */
  holdRemovals?: string[];
}

export type MembershipRole = 'member' | 'manager';

export interface MembershipDoc {
  /** `${groupId}|${userId}`: one document per pair, so adding a source is one atomic upsert. */
  _id: string;
  tenantId: string;
  groupId: string;
  userId: string;
  role: MembershipRole;
  /** Who holds the membership: 'scim', 'manual', 'import', 'rule:<id>', 'dynamic'. */
  sources: string[];
  /**
   * Per source written in order (SCIM: the group change's position), the position of the last
   * write applied. Kept by a tombstone (a document with only `_id`, `positions` and `endedAt`)
   * when the membership ends: see MembershipsRepository.addSourceAt and docs/decisions.md.
   */
  positions?: Record<string, number>;
  /**
   * Audit events of rule-made changes to this membership, written in the same update as the change
   * and pulled once they are in the log (MembershipsRepository.applyAudited); a crash in between
   * leaves them here for the sweeper. A membership without sources waits here until they are written.
   */
  pendingAudit?: AuditEventDoc[];
  /**
   * The IdP removed the user from this (IdP) group while the deprovisioning breaker was tripped: SCIM
   * shows the removal (the member is left out of the group's members), but the 'scim' source stays
   * for access (mappings, rules, grants) until an admin allows (the source goes) or rejects (kept,
   * `rejected`). Written by the removal's ordered write itself (MembershipsRepository.holdSourceAt).
   */
  held?: HeldMembership;
  createdAt: Date;
  updatedAt: Date;
}

/** A held IdP group deletion (src/domain/deprovisioning/group-holds.ts). */
export interface HeldGroupDeletion {
  state: 'held' | 'rejected';
  since: Date;
  /** The IdP's DELETE: its audit event's id, when, who, which request. */
  change: { _id: string; at: Date; actor: AuditEventDoc['actor']; requestId?: string };
  decidedAt?: Date;
  decidedBy?: string;
}

/** A held IdP group-member removal (src/domain/deprovisioning/group-holds.ts). */
export interface HeldMembership {
  state: 'held' | 'rejected';
  since: Date;
  /** The removals the IdP asked, in order: the group change (its id = its audit event's), when, who, which request. */
  changes: { _id: string; at: Date; actor: AuditEventDoc['actor']; requestId?: string; position: number }[];
  decidedAt?: Date;
  decidedBy?: string;
}

export interface AuditEventDoc {
  _id: string;
  tenantId: string;
  at: Date;
  /** `as`: for an admin-API caller who is not an admin, the grounds the access policy let them act on. */
  actor: { type: 'scim-token' | 'admin' | 'user' | 'rule' | 'system' | 'cli'; id: string; as?: 'customer-admin' | 'group-administrator' | 'manager' | 'member' };
  action: string;
  object: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  requestId?: string;
  /** The object as the change left it (attributes and version), for its change event (docs/events.md). */
  state?: unknown;
  /** Set when the event is inserted, unset once the sequencer has made its change events (docs/events.md). */
  unsequenced?: true;
}

/** A change event of the tenant's feed (docs/events.md): one place `seq` in one total order, never changed once committed. */
export interface ChangeEventDoc {
  /** The audit event's id, suffixed `.<part>` for the second and later events one audit event yields. */
  _id: string;
  tenantId: string;
  seq: number;
  auditId: string;
  part: number;
  type: string;
  occurredAt: Date;
  /** When the sequencer wrote it: retention counts from here (monotone in seq). */
  sequencedAt: Date;
  actor: AuditEventDoc['actor'];
  object: { type: string; id: string; version?: number };
  data: Record<string, unknown>;
}

/** A tenant's webhook endpoint: where its change events go, in feed order (docs/events.md, "Webhooks"). */
export interface WebhookEndpointDoc {
  _id: string;
  tenantId: string;
  url: string;
  /** Event types sent (all when empty). */
  types: string[];
  enabled: boolean;
  /** Signing secrets (`whsec_…`); more than one during a rotation's overlap, each until its `expiresAt`. */
  secrets: { secret: string; createdAt: Date; expiresAt?: Date }[];
  /** The feed position delivered up to (events of other types are passed over). */
  cursor: number;
  state: 'active' | 'failing';
  /** The event being retried: the next waits for it. */
  retry?: { seq: number; attempts: number; firstFailedAt: Date; nextAttemptAt: Date };
  failingSince?: Date;
  lease?: { owner: string; until: Date };
  createdAt: Date;
  updatedAt: Date;
}

/** One delivery attempt (the delivery log). */
export interface WebhookDeliveryDoc {
  _id: string;
  tenantId: string;
  endpointId: string;
  /** The webhook-id: the event's id, the same on every attempt. */
  eventId: string;
  seq?: number;
  attempt: number;
  /** Asked for by an admin (a test event, a redelivery of one event): outside the endpoint's ordered delivery. */
  manual?: boolean;
  at: Date;
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  responseExcerpt?: string;
}

/** The tenant's sequencer state: the committed high-water mark, the writer's lease, what retention removed. */
export interface EventSequenceDoc {
  /** The tenant's id. */
  _id: string;
  tenantId: string;
  committed: number;
  /** Events with seq <= this were removed by retention. */
  purgedThrough: number;
  lease?: { owner: string; until: Date };
}

/**
 * The recorded intent of a change that spans several documents (a user's or a group's deletion),
 * written before its first step. Every step is idempotent; the last one deletes this record, so
 * one that outlives its request marks a change a crash interrupted, and the sweeper finishes it.
 * The audit event is chosen here, with its id: written by whoever finishes, it is written once.
 */
export interface PendingChangeDoc {
  _id: string;
  tenantId: string;
  kind: 'user.delete' | 'group.delete';
  objectId: string;
  audit: AuditEventDoc;
  /** Audit events still waiting on the object when its deletion began (an earlier write's request died before writing them): written with the deletion's own. */
  carriedAudits?: AuditEventDoc[];
  createdAt: Date;
  /** Set when a recovery ran it; its jobs then carry reason 'sweep'. */
  attempts?: number;
}

export type PermissionLevel = 'hide' | 'view' | 'use' | 'edit' | 'create' | 'delete';

export interface RoleDoc {
  _id: string;
  tenantId: string;
  name: string;
  nameLower: string;
  description?: string;
  /** A level per catalogue target ('Ticket', 'Account', 'Account Bulk Statuses', …). */
  privileges: { target: string; level: PermissionLevel }[];
  /** Key of a seeded default role; absent for custom roles. */
  system?: string;
  /** 'customer': a role for customers, which customer admins create, change and assign (to customer groups). */
  audience?: 'customer';
  createdBy?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A role assigned to a group (`${groupId}|${roleId}`) or directly to a user (`user:${userId}|${roleId}`). */
export interface RoleAssignmentDoc {
  _id: string;
  tenantId: string;
  roleId: string;
  groupId?: string;
  userId?: string;
  createdAt: Date;
}

export type ResourceType = 'agent' | 'data source' | 'project';

/** Product resources that can be assigned to groups (agents, data sources, projects). */
export interface ResourceDoc {
  _id: string;
  tenantId: string;
  type: ResourceType;
  name: string;
  createdBy?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A resource assigned to a group at a level (`${groupId}|${resourceId}`). */
export interface ResourceGrantDoc {
  _id: string;
  tenantId: string;
  groupId: string;
  resourceId: string;
  resourceType: ResourceType;
  level: PermissionLevel;
  createdAt: Date;
}

/** A user designated Group Administrator of a group (`${groupId}|${userId}`), product doc 004. */
export interface GroupAdministratorDoc {
  _id: string;
  tenantId: string;
  groupId: string;
  userId: string;
  createdAt: Date;
}

export interface InvitationDoc {
  _id: string;
  tenantId: string;
  email: string;
  emailLower: string;
  groupIds: string[];
  role: MembershipRole;
  invitedBy: string;
  /** Whether the inviter was an admin: only an admin's invitation may add to an admin-granting group. */
  byAdmin?: boolean;
  /** The inviter's token role and kind: the invitation is applied with the inviter's rights as they are then. */
  inviterRole?: 'admin' | 'member' | 'customer-admin' | 'customer';
  inviterKind?: 'user' | 'operator';
  status: 'pending' | 'accepted' | 'revoked';
  userId?: string;
  createdAt: Date;
  acceptedAt?: Date;
}

/** A previewed CSV member import, applied exactly as previewed on confirm. */
export interface MemberImportDoc {
  _id: string;
  tenantId: string;
  groupId: string;
  createdBy: string;
  rows: { line: number; email: string; role?: string; outcome: 'added' | 'skipped' | 'error'; reason?: string; userId?: string }[];
  status: 'previewed' | 'applied';
  createdAt: Date;
  appliedAt?: Date;
}

/** An auto-assignment / SSO-mapping rule: users matching `expression` belong to `targetGroupId`. */
export interface RuleDoc {
  _id: string;
  tenantId: string;
  name: string;
  expression: string;
  targetGroupId: string;
  enabled: boolean;
  priority: number;
  /** Bumped on every change; a newer version supersedes a full run of an older one. */
  version: number;
  lastRun?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What the sync engine keeps on a rule document besides the fields the admin API edits
 * (RuleDoc). The rule carries its own outbox mark, like users and groups (DESIGN.md §5):
 * `sync.version` counts requested evaluations (every edit, and every reconcile request), so a
 * full run acknowledges exactly the request it served and a newer one supersedes it.
 */
export type RuleKind = 'rule' | 'mapping' | 'dynamic';

/** Result of the last finished full run, shown by GET /admin/v1/sync/status. */
export type RuleRunResult = {
  version: number;
  outcome: 'completed' | 'removed' | 'targetMissing';
  matched: number;
  added: number;
  removed: number;
  durationMs: number;
  startedAt: Date;
  finishedAt: Date;
};

/** Where a full run stands, persisted after every chunk so a restarted worker resumes there. */
export type RuleProgress = {
  version: number;
  /** Users are walked in `_id` order: everything up to and including `after` is done. */
  after?: string;
  /** Stale targets (groups the rule no longer points at) are cleaned before the walk. */
  staleTargetsDone: boolean;
  matched: number;
  added: number;
  removed: number;
  startedAt: Date;
};

export interface SyncedRuleDoc extends RuleDoc {
  sync: SyncMark;
  /** 'mapping' is an SSO attribute mapping (sugar over a rule testing `groups`); 'dynamic' is a dynamic group's own rule. */
  kind?: RuleKind;
  /** For mappings: the IdP group the mapping names. */
  idpGroup?: string;
  /** Groups the rule pointed at before its target changed; the next run removes its source there. */
  staleTargets?: string[];
  /** Tombstone: the rule is deleted once its run has removed every membership it gave. */
  deletedAt?: Date;
  progress?: RuleProgress;
  lastRun?: RuleRunResult;
  createdBy?: string;
}

const syncSchema = new Schema<SyncMark>({ version: { type: Number, required: true }, pendingSince: { type: Date } }, { _id: false });

const resourceFields = {
  _id: { type: String, required: true },
  tenantId: { type: String, required: true },
  attrs: { type: Schema.Types.Mixed, required: true },
  lc: { type: Schema.Types.Mixed, required: true },
  version: { type: Number, required: true },
  sync: { type: syncSchema, required: true },
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
} as const;

const opts = { versionKey: false, minimize: false, strict: false } as const;

function tenantSchema() {
  const s = new Schema<TenantDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      nameLower: { type: String, required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
    },
    opts,
  );
  s.index({ nameLower: 1 }, { unique: true });
  s.index({ 'syncHealth.failing': 1 }, { sparse: true });
  // The lifecycle's purge looks for the tenants that chose it.
  s.index({ 'deprovisioning.lifecycle.inactiveUsers': 1 }, { sparse: true });
  // The sweeper writes the breaker's audit events a crash left on the tenant.
  s.index({ 'pendingAudit.at': 1 }, { sparse: true });
  return s;
}

function scimTokenSchema() {
  const s = new Schema<ScimTokenDoc>(
    {
      _id: { type: String, required: true },
      tokenId: { type: String, required: true },
      tenantId: { type: String, required: true },
      hint: { type: String, required: true },
      label: String,
      lastRequest: Schema.Types.Mixed,
      createdAt: { type: Date, required: true },
      revokedAt: Date,
    },
    opts,
  );
  s.index({ tokenId: 1 }, { unique: true });
  s.index({ tenantId: 1 });
  return s;
}

/** Console links and sessions are looked up by _id only; MongoDB drops them once expired (TTL index). */
function consoleLinkSchema() {
  const s = new Schema<ConsoleLinkDoc>(
    {
      _id: { type: String, required: true },
      tenantId: { type: String, required: true },
      createdAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true },
      usedAt: Date,
    },
    opts,
  );
  s.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  return s;
}

function consoleSessionSchema() {
  const s = new Schema<ConsoleSessionDoc>(
    {
      _id: { type: String, required: true },
      sessionId: { type: String, required: true },
      tenantId: { type: String, required: true },
      csrfToken: { type: String, required: true },
      createdAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true },
      endedAt: Date,
    },
    opts,
  );
  s.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  return s;
}

function userSchema() {
  const s = new Schema<UserDoc>({ ...resourceFields }, opts);
  s.index({ tenantId: 1, 'lc.userName': 1 }, { unique: true });
  // `_id` last: lookups are sorted by _id (stable pages), so equality then sort, no in-memory sort.
  s.index({ tenantId: 1, 'attrs.externalId': 1, _id: 1 });
  s.index({ tenantId: 1, 'lc.emails': 1, _id: 1 });
  // The console's people search: each word must equal a term (search-terms.ts), pages in _id order.
  s.index({ tenantId: 1, 'lc.terms': 1, _id: 1 });
  // The sweeper's look for audit events a crashed request left on the document.
  s.index({ 'pendingAudit.at': 1 });
  s.index({ tenantId: 1, _id: 1 });
  s.index({ 'sync.pendingSince': 1 });
  // The breaker's window, the held changes and the lifecycle's purge (src/domain/deprovisioning).
  s.index({ tenantId: 1, deprovisionedAt: 1 });
  s.index({ tenantId: 1, 'hold.since': 1 });
  s.index({ tenantId: 1, inactiveSince: 1 });
  // The sweeper finishes deferred IdP deletions across tenants (like pendingAudit.at).
  s.index({ scimDeletedAt: 1 }, { sparse: true });
  // A tenant's users being deleted (the few SCIM's user count leaves out: users-repository.ts SCIM_HIDDEN).
  s.index({ tenantId: 1, scimDeletedAt: 1 }, { partialFilterExpression: { scimDeletedAt: { $exists: true } } });
  // A tenant's outbox: its pending count and oldest mark (sync status) from index entries alone.
  s.index({ tenantId: 1, 'sync.pendingSince': 1 });
  // A rule run's catch-up: the users written while it ran (rule-changed.ts), not every user.
  s.index({ tenantId: 1, updatedAt: 1 });
  return s;
}

function groupSchema() {
  const s = new Schema<GroupDoc>({ ...resourceFields, origin: { type: String, required: true } }, opts);
  s.index({ tenantId: 1, origin: 1, 'lc.displayName': 1 }, { unique: true });
  s.index({ tenantId: 1, origin: 1, 'attrs.externalId': 1, _id: 1 });
  s.index({ tenantId: 1, origin: 1, _id: 1 });
  // A rule run's catch-up: the IdP groups written while it ran (rule-changed.ts).
  s.index({ tenantId: 1, origin: 1, updatedAt: 1 });
  // A departing user's ownerships (user deletion, audience change).
  s.index({ tenantId: 1, ownerId: 1 });
  // The hierarchy: a group's children, and the admin list of them in name order.
  s.index({ tenantId: 1, parentId: 1, origin: 1, 'lc.displayName': 1, _id: 1 });
  s.index({ 'sync.pendingSince': 1 });
  s.index({ tenantId: 1, 'sync.pendingSince': 1 });
  // The sweeper's look for group changes a crashed request left unfinished.
  s.index({ 'pendingMembers.at': 1 });
  // Held IdP group deletions (the breaker's list and count), and their audit events a crash left.
  s.index({ tenantId: 1, 'heldDeletion.state': 1 }, { sparse: true });
  s.index({ 'pendingAudit.at': 1 }, { sparse: true });
  return s;
}

/** How long a membership's tombstone keeps its positions. */
export const TOMBSTONE_TTL_SECONDS = 7 * 86_400;

function membershipSchema() {
  const s = new Schema<MembershipDoc>(
    {
      _id: { type: String, required: true },
      tenantId: { type: String, required: true },
      groupId: { type: String, required: true },
      userId: { type: String, required: true },
      role: { type: String, required: true },
      sources: { type: [String], required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
    },
    opts,
  );
  s.index({ tenantId: 1, groupId: 1, userId: 1 });
  s.index({ tenantId: 1, userId: 1 });
  // A rule run's catch-up: the IdP's memberships written while it ran (partial: the `scim`
  // source's only, so a rule run's own writes to its target group maintain no entry), and those
  // ended meanwhile (tombstones only: the partial index holds nothing else). rule-changed.ts.
  s.index({ tenantId: 1, groupId: 1, sources: 1, updatedAt: 1 }, { partialFilterExpression: { sources: 'scim' } });
  s.index({ tenantId: 1, endedAt: 1 }, { partialFilterExpression: { endedAt: { $exists: true } } });
  // Tombstones (only they have `endedAt`) go after a week: an older write of the same member
  // arriving later than that is not expected (see docs/decisions.md). MongoDB only: the embedded
  // server keeps them.
  s.index({ endedAt: 1 }, { expireAfterSeconds: TOMBSTONE_TTL_SECONDS });
  // The sweeper's look for rule-made changes whose audit events a crashed worker left on the membership.
  s.index({ 'pendingAudit.at': 1 }, { sparse: true });
  // Held IdP group-member removals of a tenant (the breaker's list, its count).
  s.index({ tenantId: 1, 'held.state': 1 }, { sparse: true });
  return s;
}

function auditEventSchema() {
  const s = new Schema<AuditEventDoc>(
    {
      _id: { type: String, required: true },
      tenantId: { type: String, required: true },
      at: { type: Date, required: true },
      actor: { type: Schema.Types.Mixed, required: true },
      action: { type: String, required: true },
      object: { type: Schema.Types.Mixed, required: true },
      before: Schema.Types.Mixed,
      after: Schema.Types.Mixed,
      requestId: String,
      state: Schema.Types.Mixed,
      unsequenced: Boolean,
    },
    opts,
  );
  // Only the events the sequencer has yet to see carry the marker: the sparse index holds just those.
  s.index({ unsequenced: 1, tenantId: 1, at: 1, _id: 1 }, { sparse: true });
  s.index({ tenantId: 1, at: -1 });
  s.index({ tenantId: 1, 'object.id': 1, at: -1, _id: -1 });
  s.index({ tenantId: 1, action: 1, at: -1 });
  // A person's membership events (after.userId): the console's person page, newest first.
  s.index({ tenantId: 1, 'after.userId': 1, at: -1, _id: -1 });
  // … and the removals that ended a membership (only `before` names the user).
  s.index({ tenantId: 1, 'before.userId': 1, at: -1, _id: -1 });
  // The audit log filtered by actor (a token, a rule, an admin: by name in the console).
  s.index({ tenantId: 1, 'actor.id': 1, at: -1, _id: -1 });
  return s;
}

function changeEventSchema() {
  const s = new Schema<ChangeEventDoc>({ _id: { type: String, required: true } }, opts);
  // The feed's order, and one event per audit event part: a second write of either fails instead of doubling.
  s.index({ tenantId: 1, seq: 1 }, { unique: true });
  s.index({ tenantId: 1, auditId: 1, part: 1 }, { unique: true });
  return s;
}

/** Loose schemas for the access-control collections: shapes are the interfaces above, indexes here. */
function looseSchema<T>(indexes: [Record<string, 1 | -1>, { unique?: boolean }?][]) {
  const s = new Schema<T>({ _id: { type: String, required: true } } as never, opts);
  for (const [fields, options] of indexes) s.index(fields, options ?? {});
  return s;
}

export interface Models {
  Tenant: Model<TenantDoc>;
  ScimToken: Model<ScimTokenDoc>;
  ConsoleLink: Model<ConsoleLinkDoc>;
  ConsoleSession: Model<ConsoleSessionDoc>;
  User: Model<UserDoc>;
  Group: Model<GroupDoc>;
  Membership: Model<MembershipDoc>;
  AuditEvent: Model<AuditEventDoc>;
  Role: Model<RoleDoc>;
  RoleAssignment: Model<RoleAssignmentDoc>;
  Resource: Model<ResourceDoc>;
  ResourceGrant: Model<ResourceGrantDoc>;
  GroupAdministrator: Model<GroupAdministratorDoc>;
  Invitation: Model<InvitationDoc>;
  MemberImport: Model<MemberImportDoc>;
  Rule: Model<RuleDoc>;
  PendingChange: Model<PendingChangeDoc>;
  ChangeEvent: Model<ChangeEventDoc>;
  EventSequence: Model<EventSequenceDoc>;
  WebhookEndpoint: Model<WebhookEndpointDoc>;
  WebhookDelivery: Model<WebhookDeliveryDoc>;
  ProvisioningLog: Model<ProvisioningLogDoc>;
  AttributeValue: Model<AttributeValueDoc>;
}

export function createModels(conn: Connection): Models {
  return {
    Tenant: conn.model<TenantDoc>('Tenant', tenantSchema(), 'tenants'),
    ScimToken: conn.model<ScimTokenDoc>('ScimToken', scimTokenSchema(), 'scim_tokens'),
    ConsoleLink: conn.model<ConsoleLinkDoc>('ConsoleLink', consoleLinkSchema(), 'console_links'),
    ConsoleSession: conn.model<ConsoleSessionDoc>('ConsoleSession', consoleSessionSchema(), 'console_sessions'),
    User: conn.model<UserDoc>('User', userSchema(), 'users'),
    Group: conn.model<GroupDoc>('Group', groupSchema(), 'groups'),
    Membership: conn.model<MembershipDoc>('Membership', membershipSchema(), 'memberships'),
    AuditEvent: conn.model<AuditEventDoc>('AuditEvent', auditEventSchema(), 'audit_events'),
    Role: conn.model<RoleDoc>('Role', looseSchema<RoleDoc>([[{ tenantId: 1, nameLower: 1 }, { unique: true }]]), 'roles'),
    RoleAssignment: conn.model<RoleAssignmentDoc>(
      'RoleAssignment',
      looseSchema<RoleAssignmentDoc>([[{ tenantId: 1, groupId: 1 }], [{ tenantId: 1, userId: 1 }], [{ tenantId: 1, roleId: 1 }]]),
      'role_assignments',
    ),
    Resource: conn.model<ResourceDoc>('Resource', looseSchema<ResourceDoc>([[{ tenantId: 1, type: 1, name: 1 }]]), 'resources'),
    ResourceGrant: conn.model<ResourceGrantDoc>('ResourceGrant', looseSchema<ResourceGrantDoc>([[{ tenantId: 1, groupId: 1 }], [{ tenantId: 1, resourceId: 1 }]]), 'resource_grants'),
    GroupAdministrator: conn.model<GroupAdministratorDoc>(
      'GroupAdministrator',
      looseSchema<GroupAdministratorDoc>([[{ tenantId: 1, userId: 1 }], [{ tenantId: 1, groupId: 1 }]]),
      'group_administrators',
    ),
    Invitation: conn.model<InvitationDoc>('Invitation', looseSchema<InvitationDoc>([[{ tenantId: 1, emailLower: 1, status: 1 }], [{ tenantId: 1, groupIds: 1, status: 1 }]]), 'invitations'),
    MemberImport: conn.model<MemberImportDoc>('MemberImport', looseSchema<MemberImportDoc>([[{ tenantId: 1, groupId: 1 }]]), 'member_imports'),
    Rule: conn.model<RuleDoc>(
      'Rule',
      looseSchema<RuleDoc>([[{ tenantId: 1, targetGroupId: 1 }], [{ tenantId: 1, enabled: 1 }], [{ 'sync.pendingSince': 1 }], [{ tenantId: 1, 'sync.pendingSince': 1 }]]),
      'rules',
    ),
    PendingChange: conn.model<PendingChangeDoc>('PendingChange', looseSchema<PendingChangeDoc>([[{ createdAt: 1 }], [{ tenantId: 1, objectId: 1 }]]), 'pending_changes'),
    ChangeEvent: conn.model<ChangeEventDoc>('ChangeEvent', changeEventSchema(), 'events'),
    EventSequence: conn.model<EventSequenceDoc>('EventSequence', new Schema<EventSequenceDoc>({ _id: { type: String, required: true } }, opts), 'event_sequences'),
    WebhookEndpoint: conn.model<WebhookEndpointDoc>('WebhookEndpoint', looseSchema<WebhookEndpointDoc>([[{ tenantId: 1, createdAt: 1 }], [{ enabled: 1, state: 1 }]]), 'webhook_endpoints'),
    WebhookDelivery: conn.model<WebhookDeliveryDoc>('WebhookDelivery', looseSchema<WebhookDeliveryDoc>([[{ tenantId: 1, endpointId: 1, at: -1, _id: -1 }]]), 'webhook_deliveries'),
    // The provisioning log: newest first per tenant (also what trimming and retention delete by), per token, per object.
    ProvisioningLog: conn.model<ProvisioningLogDoc>(
      'ProvisioningLog',
      looseSchema<ProvisioningLogDoc>([[{ tenantId: 1, at: -1, _id: -1 }], [{ tenantId: 1, tokenId: 1, at: -1 }], [{ tenantId: 1, objectId: 1, at: -1 }]]),
      'provisioning_log',
    ),
    // The values seen per attribute: one entry per (tenant, attribute, lower-cased value), read in value order.
    AttributeValue: conn.model<AttributeValueDoc>('AttributeValue', looseSchema<AttributeValueDoc>([[{ tenantId: 1, attr: 1, lc: 1 }, { unique: true }]]), 'attribute_values'),
  };
}
