import type { Application } from 'express';
import { AppError } from '../errors/app-error';
import type { SyncQueueInspector } from './queue-inspector';

/**
 * The sync queue inspector of an app, set where the app is composed (mountSyncMonitoring) and
 * read by the admin sync routes at request time, so the admin router's dependencies need no
 * queue connection details.
 */
const KEY = 'syncQueueInspector';

export function attachSyncQueueInspector(app: Application, inspector: SyncQueueInspector): void {
  app.locals[KEY] = inspector;
}

export function syncQueueInspectorOf(app: Application): SyncQueueInspector {
  const inspector = app.locals[KEY] as SyncQueueInspector | undefined;
  if (!inspector) throw new AppError('unavailable', 'SYNC_MONITORING_UNAVAILABLE', 'Sync queue monitoring is not configured in this process');
  return inspector;
}
