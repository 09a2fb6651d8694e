import type { Models } from './models';
import type { QueryShape } from './query-shapes';

/**
 * How the data is laid out for a MongoDB cluster sharded by tenant (docs/deployment.md has the
 * commands). Every tenant-owned collection is sharded on `{ tenantId: 1 }`: a tenant's documents
 * live on one shard, so each request of a tenant is answered by one shard (a targeted query), and
 * MongoDB can enforce a unique index only when it starts with the shard key, which every
 * tenant-scoped uniqueness here does (userName, displayName, role name per tenant). A range key on
 * `tenantId` alone keeps a tenant whole: the largest tenant must fit one shard (100,000 users with
 * their memberships and audit trail are a few GB).
 */
export const SHARD_KEY = { tenantId: 1 } as const;

/**
 * Collections left unsharded (on the database's primary shard), each with why: small, and looked
 * up by a key that names no tenant (the key is what tells the tenant).
 */
export const UNSHARDED_COLLECTIONS: Readonly<Record<string, string>> = {
  tenants: 'the tenant directory: one document per tenant, looked up by id and unique by name across tenants',
  scim_tokens: "looked up by the token's hash (`_id`), which is what names the tenant; one document per token",
  console_links: "looked up by the link code's hash, which is what names the tenant; expire after 10 minutes",
  console_sessions: "looked up by the session cookie's hash, which is what names the tenant; expire after 8 hours",
};

export interface IndexDeclaration {
  collection: string;
  keys: string[];
  unique: boolean;
}

/** The indexes the models declare (what ensureIndexes creates), `_id` aside. */
export function declaredIndexesOf(models: Models): IndexDeclaration[] {
  return (Object.values(models) as Models[keyof Models][]).flatMap((model) =>
    (model.schema.indexes() as [Record<string, unknown>, { unique?: boolean }][]).map(([fields, options]) => ({
      collection: model.collection.collectionName,
      keys: Object.keys(fields),
      unique: Boolean(options.unique),
    })),
  );
}

/** Unique indexes a collection sharded on SHARD_KEY could not have (MongoDB refuses them at shardCollection). */
export function uniqueIndexesWithoutShardKey(indexes: readonly IndexDeclaration[], unsharded: Readonly<Record<string, string>> = UNSHARDED_COLLECTIONS): IndexDeclaration[] {
  const prefix = Object.keys(SHARD_KEY);
  return indexes.filter((ix) => ix.unique && !(ix.collection in unsharded) && !(ix.keys.length === 1 && ix.keys[0] === '_id') && prefix.some((field, i) => ix.keys[i] !== field));
}

/** Whether a query is sent to one shard: it names the shard key by equality (in every `$or` branch when the rest does not). */
export function isTargeted(shape: QueryShape): boolean {
  const named = (s: QueryShape) => Object.keys(SHARD_KEY).every((field) => s.equality.includes(field));
  return named(shape) || (shape.or !== undefined && shape.or.length > 0 && shape.or.every(named));
}
