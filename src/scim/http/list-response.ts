export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** RFC 7644 §3.4.2 ListResponse, with RFC 9865 nextCursor. */
export function listResponse(resources: readonly object[], page: { totalResults: number; startIndex?: number; nextCursor?: string }) {
  const body: Record<string, unknown> = {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: page.totalResults,
    itemsPerPage: resources.length,
  };
  if (page.startIndex !== undefined) body.startIndex = page.startIndex;
  if (page.nextCursor !== undefined) body.nextCursor = page.nextCursor;
  body.Resources = resources;
  return body;
}
