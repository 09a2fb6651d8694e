import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../src/errors/app-error';
import { applyPatch, parsePatchRequest, type PatchResult } from '../../../src/scim/patch';
import { loadSchemaRegistry } from '../../../src/attributes/registry';
import type { SchemaView } from '../../../src/attributes/types';

export const registry = loadSchemaRegistry();
export const userView: SchemaView = registry.view('User');
export const groupView: SchemaView = registry.view('Group');

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A PatchOp message with these operations. */
export function patchBody(...operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** Parses and applies a PATCH body. */
export function patch(view: SchemaView, resource: Record<string, unknown>, body: unknown): PatchResult {
  return applyPatch(view, resource, parsePatchRequest(body, view));
}

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', name), 'utf8')) as unknown;
}

/** Runs `action` and returns the AppError it throws (failing the test when it does not throw one). */
export function errorOf(action: () => unknown): AppError {
  try {
    action();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError, nothing was thrown');
}

export function aUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_URN],
    id: 'u-1',
    userName: 'bjensen@example.com',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@home.example', type: 'home' },
    ],
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z' },
    ...overrides,
  };
}

export function aGroup(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [GROUP_URN],
    id: 'g-1',
    displayName: 'Engineering',
    meta: { resourceType: 'Group', created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z' },
    ...overrides,
  };
}
