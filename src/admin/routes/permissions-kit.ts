import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { CATALOG } from '../../domain/permissions/catalog';
import { didYouMean } from '../../expressions/rule-errors';
import type { PermissionsContext } from '../../domain/permissions/context';
import { permissionEngine } from '../../domain/permissions/engine';

/** The permission use-cases' dependencies: the models and the process's permission engine for them. */
export function permissionsContextOf(deps: AdminDeps): PermissionsContext {
  return { models: deps.models, engine: permissionEngine(deps.models) };
}

const caseless = (name: string): string => [...name].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
/** A target of the permission catalogue by name, in any case, blanks around it allowed (what findTarget takes), as one pattern. */
export const CATALOGUE_TARGET = new RegExp(`^[\\t-\\r ]*(?:${CATALOG.targets.map((t) => caseless(t.name)).join('|')})[\\t-\\r ]*$`);

/** A catalogue target (GET /permissions/catalog): the document states the names as a pattern; an unknown one is named with a did-you-mean. */
export const catalogueTarget = (description: string) =>
  z
    .string()
    .max(200)
    .superRefine((value, ctx) => {
      if (CATALOGUE_TARGET.test(value)) return;
      const names = CATALOG.targets.map((t) => t.name);
      const hint = didYouMean(value.trim(), names);
      ctx.addIssue({
        code: 'custom',
        message: `is not a target of the permission catalogue${hint ? ` (${hint})` : ''}; targets: ${names.join(', ')}`,
        params: { errorCode: 'PERMISSION_TARGET_UNKNOWN' },
      });
    })
    .meta({ pattern: CATALOGUE_TARGET.source })
    .describe(description);
