/**
 * Where a read may be served from. Every read goes to the primary unless it says otherwise here:
 * the product reads its own writes (a SCIM GET after a PUT, the admin API after a SCIM change, the
 * worker after the API), which a secondary behind by its replication lag would not show. A read
 * marked `secondaryPreferred` accepts figures that lag by seconds: only monitoring does (the
 * /metrics outbox gauges, scraped across all tenants), and it takes that load off the primary.
 */
export type ReadFrom = 'primary' | 'secondaryPreferred';

export const readOptions = (from: ReadFrom) => (from === 'primary' ? {} : { readPreference: from });
