import type { AdminDeps } from '../admin-deps';
import type { PermissionsContext } from '../../domain/permissions/context';
import { permissionEngine } from '../../domain/permissions/engine';

/** The permission use-cases' dependencies: the models and the process's permission engine for them. */
export function permissionsContextOf(deps: AdminDeps): PermissionsContext {
  return { models: deps.models, engine: permissionEngine(deps.models) };
}
