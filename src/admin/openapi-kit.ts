/** The small builders every part of the admin API's OpenAPI document is written with. */
export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** Error responses (the `Error` schema) for these statuses. */
export const errorResponses = (...statuses: number[]): Json =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: 'Error', content: { 'application/json': { schema: ref('Error') } } }]));

/** The errors of a tenant-admin operation: 401, 403, then these. */
export const adminErrors = (...statuses: number[]): Json => errorResponses(401, 403, ...statuses);
