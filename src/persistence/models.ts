import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Stored shapes. SCIM resources keep their attributes in `attrs` (see src/scim/schema/types.ts for
 * the convention) with lower-cased shadows in `lc`. Every resource write bumps `version` (the ETag)
 * and, in the same single-document update, marks `sync` pending: that mark is the durable outbox
 * record the worker acknowledges and the sweeper re-enqueues (DESIGN.md §5).
 */
export interface SyncMark {
  /** The resource version the pending work is for. */
  version: number;
  /** Set while work is pending; absent once the worker acknowledged `version`. */
  pendingSince?: Date;
}

export interface TenantDoc {
  _id: string;
  name: string;
  nameLower: string;
  createdAt: Date;
  updatedAt: Date;
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
}

export interface UserDoc {
  _id: string;
  tenantId: string;
  attrs: Record<string, unknown>;
  lc: { userName: string; displayName?: string; emails?: string[] };
  passwordHash?: string;
  version: number;
  sync: SyncMark;
  createdAt: Date;
  updatedAt: Date;
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
  createdAt: Date;
  updatedAt: Date;
  [extra: string]: unknown;
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
  createdAt: Date;
  updatedAt: Date;
}

export interface AuditEventDoc {
  _id: string;
  tenantId: string;
  at: Date;
  actor: { type: 'scim-token' | 'admin' | 'rule' | 'system' | 'cli'; id: string };
  action: string;
  object: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  requestId?: string;
}

const syncSchema = new Schema<SyncMark>(
  { version: { type: Number, required: true }, pendingSince: { type: Date } },
  { _id: false },
);

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
      createdAt: { type: Date, required: true },
      revokedAt: Date,
    },
    opts,
  );
  s.index({ tokenId: 1 }, { unique: true });
  s.index({ tenantId: 1 });
  return s;
}

function userSchema() {
  const s = new Schema<UserDoc>({ ...resourceFields, passwordHash: String }, opts);
  s.index({ tenantId: 1, 'lc.userName': 1 }, { unique: true });
  s.index({ tenantId: 1, 'attrs.externalId': 1 });
  s.index({ tenantId: 1, 'lc.emails': 1 });
  s.index({ tenantId: 1, _id: 1 });
  s.index({ 'sync.pendingSince': 1 });
  return s;
}

function groupSchema() {
  const s = new Schema<GroupDoc>({ ...resourceFields, origin: { type: String, required: true } }, opts);
  s.index({ tenantId: 1, origin: 1, 'lc.displayName': 1 }, { unique: true });
  s.index({ tenantId: 1, origin: 1, 'attrs.externalId': 1 });
  s.index({ tenantId: 1, origin: 1, _id: 1 });
  s.index({ 'sync.pendingSince': 1 });
  return s;
}

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
    },
    opts,
  );
  s.index({ tenantId: 1, at: -1 });
  s.index({ tenantId: 1, 'object.id': 1, at: -1 });
  s.index({ tenantId: 1, action: 1, at: -1 });
  return s;
}

export interface Models {
  Tenant: Model<TenantDoc>;
  ScimToken: Model<ScimTokenDoc>;
  User: Model<UserDoc>;
  Group: Model<GroupDoc>;
  Membership: Model<MembershipDoc>;
  AuditEvent: Model<AuditEventDoc>;
}

export function createModels(conn: Connection): Models {
  return {
    Tenant: conn.model<TenantDoc>('Tenant', tenantSchema(), 'tenants'),
    ScimToken: conn.model<ScimTokenDoc>('ScimToken', scimTokenSchema(), 'scim_tokens'),
    User: conn.model<UserDoc>('User', userSchema(), 'users'),
    Group: conn.model<GroupDoc>('Group', groupSchema(), 'groups'),
    Membership: conn.model<MembershipDoc>('Membership', membershipSchema(), 'memberships'),
    AuditEvent: conn.model<AuditEventDoc>('AuditEvent', auditEventSchema(), 'audit_events'),
  };
}
