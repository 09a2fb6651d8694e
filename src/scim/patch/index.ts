/** RFC 7644 §3.5.2 PATCH: parse a PatchOp message, then apply it to a resource's SCIM JSON. */
export { applyPatch, type PatchResult } from './apply-patch';
export { isEmptyMemberDelta, type MemberDelta } from './member-delta';
export { parsePatchPath, type ParsedPath, type ValueSelector } from './patch-path';
export { PATCH_OP_SCHEMA, parsePatchRequest, type PatchOpName, type PatchOperation } from './patch-request';
